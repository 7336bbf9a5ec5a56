import Foundation

/// One JSON text with every object's keys in order, for the JSON lines commands print and log.
///
/// Why not `JSONSerialization`'s `.sortedKeys`: it compares keys under an `en_US_POSIX` locale, which opens ICU's
/// locale, calendar and collation data the first time it runs, and a serving node prints a line with sorted keys at
/// once. That took about 3 MB of resident memory in each `meshpeer-dht` process, a seventh of its total
/// (docs/node.md, "Resident memory"). Here keys are sorted by `String`'s own order (Unicode scalars, no locale), and
/// `JSONSerialization` writes only the leaves (strings, numbers, booleans), so escaping and number formatting stay
/// its own.
public enum SortedJSON {
    /// Throws for a value JSON cannot hold (as `JSONSerialization` does).
    /// - Parameter escapingSlashes: false writes `/` as is (`.withoutEscapingSlashes`).
    public static func text(_ value: Any, escapingSlashes: Bool = true) throws -> String {
        switch value {
        case let object as [String: Any]:
            let members = try object.keys.sorted().map { key in
                try text(key, escapingSlashes: escapingSlashes) + ":"
                    + text(object[key]!, escapingSlashes: escapingSlashes)
            }
            return "{" + members.joined(separator: ",") + "}"
        case let array as [Any]:
            let elements = try array.map { try text($0, escapingSlashes: escapingSlashes) }
            return "[" + elements.joined(separator: ",") + "]"
        default:
            var options: JSONSerialization.WritingOptions = [.fragmentsAllowed]
            if !escapingSlashes { options.insert(.withoutEscapingSlashes) }
            let data = try JSONSerialization.data(withJSONObject: value, options: options)
            return String(decoding: data, as: UTF8.self)
        }
    }

    /// `text(object)`, or, for a value JSON cannot hold (none of the callers makes one: their values are strings,
    /// integers and booleans), the fields as `keyValueText` led by `json_error=` and the reason. The line is never
    /// lost, and a collector that expects JSON sees the failure instead of a gap.
    public static func line(_ object: [String: Any], escapingSlashes: Bool = true) -> String {
        do {
            return try text(object, escapingSlashes: escapingSlashes)
        } catch {
            return "json_error=\(error) " + keyValueText(object)
        }
    }

    /// `key=value` pairs in key order, for people (and for `line`'s fallback).
    public static func keyValueText(_ object: [String: Any]) -> String {
        object.keys.sorted().map { "\($0)=\(object[$0]!)" }.joined(separator: " ")
    }
}
