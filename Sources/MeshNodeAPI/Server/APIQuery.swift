import Foundation
import MeshPeer

/// A request's query parameters, checked strictly: every name must be one the endpoint takes, none may repeat,
/// and every value must parse and lie in its range. A violation is a 400 that names the parameter.
struct APIQuery {
    private var values: [String: String] = [:]

    /// Parses `a=1&b=two` (percent-decoding, `+` as a space) and rejects names outside `allowed`.
    init(_ query: String?, allowed: Set<String>) throws(NodeAPIError) {
        guard let query, !query.isEmpty else { return }
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = try Self.decode(parts[0], what: "a query parameter name")
            let value = parts.count > 1 ? try Self.decode(parts[1], what: "the value of '\(name)'") : ""
            guard allowed.contains(name) else {
                let accepted =
                    allowed.isEmpty
                    ? "this endpoint takes none" : "accepted: " + allowed.sorted().joined(separator: ", ")
                throw NodeAPIError(.badRequest, "unknown query parameter '\(name)' (\(accepted))")
            }
            guard values[name] == nil else {
                throw NodeAPIError(.badRequest, "query parameter '\(name)' is given more than once")
            }
            values[name] = value
        }
    }

    func string(_ name: String) -> String? { values[name] }

    /// A whole number in `range`, written in decimal digits only.
    func integer(_ name: String, in range: ClosedRange<Int64>, default value: Int64) throws(NodeAPIError) -> Int64 {
        guard let text = values[name] else { return value }
        guard !text.isEmpty, text.utf8.count <= 19, text.utf8.allSatisfy({ (48...57).contains($0) }),
            let number = Int64(text)
        else {
            throw NodeAPIError(
                .badRequest,
                "query parameter '\(name)' must be a whole number, not '\(Self.quote(text))'"
            )
        }
        guard range.contains(number) else {
            throw NodeAPIError(
                .badRequest,
                "query parameter '\(name)' must be \(range.lowerBound)...\(range.upperBound), not \(number)"
            )
        }
        return number
    }

    /// A number of seconds (a fraction allowed) in `range`.
    func seconds(_ name: String, in range: ClosedRange<Double>) throws(NodeAPIError) -> Double? {
        guard let text = values[name] else { return nil }
        guard let number = Double(text), number.isFinite, text.utf8.allSatisfy({ (48...57).contains($0) || $0 == 46 })
        else {
            throw NodeAPIError(
                .badRequest,
                "query parameter '\(name)' must be a number of seconds, not '\(Self.quote(text))'"
            )
        }
        guard range.contains(number) else {
            throw NodeAPIError(
                .badRequest,
                "query parameter '\(name)' must be \(Int(range.lowerBound))...\(Int(range.upperBound)) seconds, not \(text)"
            )
        }
        return number
    }

    private static func decode(_ raw: Substring, what: String) throws(NodeAPIError) -> String {
        guard let decoded = raw.replacingOccurrences(of: "+", with: " ").removingPercentEncoding else {
            throw NodeAPIError(.badRequest, "\(what) is not valid percent-encoded UTF-8")
        }
        return decoded
    }

    /// A value echoed in an error, cut short so a huge parameter does not make a huge error.
    static func quote(_ text: String) -> String {
        text.count <= 40 ? text : String(text.prefix(40)) + "…"
    }
}
