/// The opaque `cursor` of a result page: `p` followed by the offset in decimal (at most `SearchQuery.maximumOffset`,
/// so no page reaches deep into a table scan), written one way only (no leading zero: `p007` is not `p7`, so a
/// cursor is its own canonical form). Anything else is a 400, never a crash.
public enum SearchCursor {
    public static func encode(offset: Int) -> String { "p\(offset)" }

    public static func decode(_ cursor: String) throws(SearchQueryError) -> Int {
        let utf8 = Array(cursor.utf8)
        guard utf8.count >= 2, utf8.count <= 6, utf8[0] == UInt8(ascii: "p"),
            utf8.dropFirst().allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            utf8.count == 2 || utf8[1] != UInt8(ascii: "0"),
            let offset = Int(cursor.dropFirst()), offset <= SearchQuery.maximumOffset
        else { throw SearchQueryError("bad cursor") }
        return offset
    }
}
