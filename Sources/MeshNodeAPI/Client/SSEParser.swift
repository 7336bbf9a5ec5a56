/// An incremental parser for `text/event-stream` (the WHATWG server-sent events format): feed it bytes as they
/// arrive and it returns each complete event. Lines end in LF, CRLF or CR; `:` starts a comment; `data:` lines
/// join with a newline; an event is dispatched at a blank line. A line longer than the bound is an error, so a
/// broken server cannot make the client buffer without end.
struct SSEParser {
    struct Event: Hashable, Sendable {
        var type: String
        var data: String
        var id: String?
    }

    struct Overflow: Error, CustomStringConvertible {
        var limit: Int
        var description: String { "an event-stream line or event is longer than \(limit) bytes" }
    }

    let maximumBytes: Int
    private var line: [UInt8] = []
    private var type = ""
    private var data: [String] = []
    private var dataBytes = 0
    private var id: String?
    private var lastWasCR = false

    init(maximumBytes: Int = 4 * 1024 * 1024) {
        self.maximumBytes = maximumBytes
    }

    mutating func feed(_ bytes: some Sequence<UInt8>) throws -> [Event] {
        var events: [Event] = []
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\n") where lastWasCR:
                lastWasCR = false
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                lastWasCR = byte == UInt8(ascii: "\r")
                if let event = try endLine() { events.append(event) }
            default:
                lastWasCR = false
                guard line.count < maximumBytes else { throw Overflow(limit: maximumBytes) }
                line.append(byte)
            }
        }
        return events
    }

    private mutating func endLine() throws -> Event? {
        defer { line.removeAll(keepingCapacity: true) }
        guard !line.isEmpty else { return dispatch() }
        if line.first == UInt8(ascii: ":") { return nil }
        let colon = line.firstIndex(of: UInt8(ascii: ":")) ?? line.endIndex
        let field = String(decoding: line[..<colon], as: UTF8.self)
        var valueStart = colon < line.endIndex ? line.index(after: colon) : colon
        if valueStart < line.endIndex && line[valueStart] == UInt8(ascii: " ") {
            valueStart = line.index(after: valueStart)
        }
        let value = String(decoding: line[valueStart...], as: UTF8.self)
        switch field {
        case "event": type = value
        case "data":
            dataBytes += value.utf8.count + 1
            guard dataBytes <= maximumBytes else { throw Overflow(limit: maximumBytes) }
            data.append(value)
        case "id" where !value.contains("\0"): id = value
        default: break  // `retry` and unknown fields are ignored, as the format says.
        }
        return nil
    }

    private mutating func dispatch() -> Event? {
        defer {
            type = ""
            data.removeAll()
            dataBytes = 0
        }
        guard !data.isEmpty else { return nil }
        return Event(type: type.isEmpty ? "message" : type, data: data.joined(separator: "\n"), id: id)
    }
}
