import Foundation

/// One JSON text with every object's keys in order, for the `--json` lines of the `dht` verbs.
///
/// Why not `JSONSerialization`'s `.sortedKeys`: it compares keys under an `en_US_POSIX` locale, which opens ICU's
/// locale, calendar and collation data the first time it runs, and a serving node prints a line with sorted keys at
/// once. That took about 3 MB of resident memory in each `meshpeer-dht` process, a seventh of its total
/// (docs/node.md, "Resident memory"). Here keys are sorted by `String`'s own order (Unicode scalars, no locale), and
/// `JSONSerialization` writes only the leaves (strings, numbers, booleans), so escaping and number formatting stay
/// its own.
enum SortedJSON {
    /// Throws for a value JSON cannot hold (as `JSONSerialization` does).
    static func text(_ value: Any) throws -> String {
        switch value {
        case let object as [String: Any]:
            let members = try object.keys.sorted().map { key in try text(key) + ":" + text(object[key]!) }
            return "{" + members.joined(separator: ",") + "}"
        case let array as [Any]:
            return try "[" + array.map(text).joined(separator: ",") + "]"
        default:
            let data = try JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed])
            return String(decoding: data, as: UTF8.self)
        }
    }
}
