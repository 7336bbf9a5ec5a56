/// RFC 8785 JSON Canonicalization Scheme: the one byte string a JSON value signs as. Members sorted by their
/// names' UTF-16 code units, no whitespace, strings with only the escapes JSON requires, numbers written the way
/// ECMAScript's `Number.prototype.toString` writes them (`JCSNumber`). Values nested deeper than
/// `StrictJSON.maximumDepth` and numbers that are not finite have no canonical form and are refused.
public enum JCS {
    public static func canonicalize(_ value: JSONValue) throws(CardSignatureError) -> [UInt8] {
        var out: [UInt8] = []
        try write(value, depth: 0, into: &out)
        return out
    }

    static func write(_ value: JSONValue, depth: Int, into out: inout [UInt8]) throws(CardSignatureError) {
        switch value {
        case .null: out.append(contentsOf: Array("null".utf8))
        case .bool(let flag): out.append(contentsOf: Array((flag ? "true" : "false").utf8))
        case .number(let number): out.append(contentsOf: Array(try JCSNumber.format(number).utf8))
        case .string(let text): writeString(text, into: &out)
        case .array(let items):
            guard depth < StrictJSON.maximumDepth else { throw tooDeep }
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                try write(item, depth: depth + 1, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            guard depth < StrictJSON.maximumDepth else { throw tooDeep }
            out.append(UInt8(ascii: "{"))
            for (index, member) in sortedMembers(members).enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                writeString(member.key, into: &out)
                out.append(UInt8(ascii: ":"))
                try write(member.value, depth: depth + 1, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// The RFC 8785 form of `value` with A2A's default values left out as it goes: `null`, empty strings, and
    /// lists and objects that are empty once their own defaults are gone, at every depth. The same bytes as
    /// `canonicalize(CardPayload.cleaned(value))` (the reference `CardPayloadStreamingTests` and the card fuzzer compare
    /// against), without building the cleaned copy of the tree first: each member is written and taken back
    /// if it turned out empty. Returns false, having written nothing, when the whole value is a default.
    static func writeWithoutDefaults(
        _ value: JSONValue,
        depth: Int,
        into out: inout [UInt8]
    ) throws(CardSignatureError) -> Bool {
        switch value {
        case .null: return false
        case .string(let text):
            guard !text.isEmpty else { return false }
            writeString(text, into: &out)
        case .bool, .number: try write(value, depth: depth, into: &out)
        case .array(let items):
            return try writeContainer(value, items.map { (nil, $0) }, brackets: (0x5B, 0x5D), depth: depth, into: &out)
        case .object(let members):
            return try writeContainer(
                value,
                sortedMembers(members).map { ($0.key, $0.value) },
                brackets: (0x7B, 0x7D),
                depth: depth,
                into: &out
            )
        }
        return true
    }

    /// A list (entries without keys) or an object without its defaults: each entry written and taken back if it was
    /// a default; nothing at all, and false, if every entry was.
    private static func writeContainer(
        _ value: JSONValue,
        _ entries: [(key: String?, value: JSONValue)],
        brackets: (open: UInt8, close: UInt8),
        depth: Int,
        into out: inout [UInt8]
    ) throws(CardSignatureError) -> Bool {
        // Too deep is refused only if something would be written there, as `canonicalize(cleaned(value))` does.
        guard depth < StrictJSON.maximumDepth else {
            if CardPayload.cleaned(value) == nil { return false }
            throw tooDeep
        }
        let start = out.count
        out.append(brackets.open)
        var written = 0
        for entry in entries {
            let mark = out.count
            if written > 0 { out.append(UInt8(ascii: ",")) }
            if let key = entry.key {
                writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
            }
            if try writeWithoutDefaults(entry.value, depth: depth + 1, into: &out) {
                written += 1
            } else {
                out.removeSubrange(mark...)
            }
        }
        guard written > 0 else {
            out.removeSubrange(start...)
            return false
        }
        out.append(brackets.close)
        return true
    }

    /// An object's members in RFC 8785 order. Names below U+E000 (every name a card has) sort by their UTF-8
    /// bytes, each name scanned once; otherwise the UTF-16 comparison of `precedes`.
    static func sortedMembers(_ members: [String: JSONValue]) -> [(key: String, value: JSONValue)] {
        var pairs = Array(members)
        guard pairs.count > 1 else { return pairs }
        if pairs.allSatisfy({ belowPrivateUse($0.key) }) {
            pairs.sort { utf8Precedes($0.key, $1.key) }
        } else {
            pairs.sort { precedes($0.key, $1.key) }
        }
        return pairs
    }

    static func belowPrivateUse(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in !bytes.contains(where: { $0 >= 0xEE }) }
    }

    static func utf8Precedes(_ left: String, _ right: String) -> Bool {
        var left = left
        var right = right
        return left.withUTF8 { l in right.withUTF8 { r in l.lexicographicallyPrecedes(r) } }
    }

    static var tooDeep: CardSignatureError {
        CardSignatureError(.malformedCard, "nested deeper than \(StrictJSON.maximumDepth)")
    }

    /// RFC 8785 §3.2.3's member order: by UTF-16 code units. Below U+E000 that is the order of the UTF-8 bytes
    /// (code point order), which Swift's native strings compare without transcoding; a name with a UTF-8 lead
    /// byte of 0xEE or more (U+E000 and above) is compared by its UTF-16 code units.
    static func precedes(_ left: String, _ right: String) -> Bool {
        if left.utf8.allSatisfy({ $0 < 0xEE }) && right.utf8.allSatisfy({ $0 < 0xEE }) {
            return left.utf8.lexicographicallyPrecedes(right.utf8)
        }
        return left.utf16.lexicographicallyPrecedes(right.utf16)
    }

    /// RFC 8785 §3.2.2.2: `"` and `\` escaped, the control characters as `\b \t \n \f \r` or `\u00xx` (lower-case
    /// hex), everything else as its own UTF-8.
    static func writeString(_ text: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Most strings need no escape: scanned and copied in one go over their contiguous UTF-8.
        var text = text
        let plain = text.withUTF8 { bytes in
            guard !bytes.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) else { return false }
            out.append(contentsOf: bytes)
            return true
        }
        if plain {
            out.append(UInt8(ascii: "\""))
            return
        }
        for byte in text.utf8 {
            switch byte {
            case 0x22: out.append(contentsOf: [0x5C, 0x22])
            case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
            case 0x08: out.append(contentsOf: [0x5C, UInt8(ascii: "b")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0C: out.append(contentsOf: [0x5C, UInt8(ascii: "f")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x00..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: Array("\\u00".utf8))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
