/// Names one command (a lookup, a publish) so its outcome event can be matched to it (design rule 5).
public struct QueryID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64

    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    public static func < (lhs: QueryID, rhs: QueryID) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { "q\(rawValue)" }
}
