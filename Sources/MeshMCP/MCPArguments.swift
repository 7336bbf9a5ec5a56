import Foundation
import MCP
import MeshPeer

/// A tool's arguments, checked against what the tool takes: an unknown name, a missing required one or a wrong
/// type is a `MCPToolError` that says which argument and what it must be.
struct MCPArguments {
    let tool: String
    let values: [String: Value]

    /// Fails on any argument not in `known`.
    init(tool: String, _ values: [String: Value], known: Set<String>) throws(MCPToolError) {
        self.tool = tool
        self.values = values
        if let unknown = values.keys.sorted().first(where: { !known.contains($0) }) {
            let takes = known.isEmpty ? "no arguments" : known.sorted().joined(separator: ", ")
            throw MCPToolError("\(tool): unknown argument `\(unknown)` (it takes \(takes))")
        }
    }

    /// A non-blank string of at most `maximum` characters; nil when absent and not `required`.
    func string(_ name: String, required: Bool = true, maximum: Int = 4096) throws(MCPToolError) -> String? {
        guard let value = values[name], value != .null else {
            if required { throw MCPToolError("\(tool): `\(name)` is required") }
            return nil
        }
        guard case .string(let text) = value else { throw MCPToolError("\(tool): `\(name)` must be a string") }
        guard !text.allSatisfy(\.isWhitespace) else { throw MCPToolError("\(tool): `\(name)` must not be empty") }
        guard text.count <= maximum else {
            throw MCPToolError("\(tool): `\(name)` is longer than \(maximum) characters")
        }
        return text
    }

    func requiredString(_ name: String, maximum: Int = 4096) throws(MCPToolError) -> String {
        guard let text = try string(name, required: true, maximum: maximum) else {
            throw MCPToolError("\(tool): `\(name)` is required")
        }
        return text
    }

    /// A whole number in `range` (a JSON number with no fraction is accepted too); nil when absent.
    func integer(_ name: String, in range: ClosedRange<Int64>) throws(MCPToolError) -> Int64? {
        let number: Int64
        switch values[name] {
        case nil, .null?: return nil
        case .int(let value)?: number = Int64(value)
        case .double(let value)? where value.rounded() == value && abs(value) < 9e18: number = Int64(value)
        default: throw MCPToolError("\(tool): `\(name)` must be a whole number")
        }
        guard range.contains(number) else {
            throw MCPToolError("\(tool): `\(name)` must be between \(range.lowerBound) and \(range.upperBound)")
        }
        return number
    }

    /// A number in `range`; nil when absent.
    func number(_ name: String, in range: ClosedRange<Double>) throws(MCPToolError) -> Double? {
        let number: Double
        switch values[name] {
        case nil, .null?: return nil
        case .int(let value)?: number = Double(value)
        case .double(let value)?: number = value
        default: throw MCPToolError("\(tool): `\(name)` must be a number")
        }
        guard range.contains(number) else {
            throw MCPToolError("\(tool): `\(name)` must be between \(range.lowerBound) and \(range.upperBound)")
        }
        return number
    }

    /// Any JSON value, as the node's `JSONValue`, at most `maximumBytes` when encoded.
    func json(_ name: String, maximumBytes: Int) throws(MCPToolError) -> JSONValue {
        guard let value = values[name] else { throw MCPToolError("\(tool): `\(name)` is required") }
        let data: Data
        do {
            data = try JSONEncoder().encode(value)
        } catch {
            throw MCPToolError("\(tool): `\(name)` is not JSON")
        }
        guard data.count <= maximumBytes else {
            throw MCPToolError(
                "\(tool): `\(name)` is \(data.count) bytes as JSON; a message body is at most \(maximumBytes) bytes"
            )
        }
        do {
            return try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw MCPToolError("\(tool): `\(name)` is not JSON")
        }
    }
}

/// A failed tool call, reported to the client as a tool error (`isError`) with this text.
struct MCPToolError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
