import Foundation
import MeshPeer

/// Text a person reads at a glance: shortened DIDs, relative times, aligned columns.
enum AgentFormat {
    /// `did:key:z6MkhaXg…2doK`: the method and the first characters of the key, an ellipsis, the last four.
    static func did(_ did: String, full: Bool) -> String {
        guard !full, did.count > 24 else { return did }
        let prefixEnd = did.lastIndex(of: ":").map { did.index(after: $0) } ?? did.startIndex
        let head = did[..<prefixEnd] + did[prefixEnd...].prefix(4)
        return head + "…" + did.suffix(4)
    }

    /// `text` cut to `limit` characters with an ellipsis, on one line.
    static func clip(_ text: String, _ limit: Int, full: Bool) -> String {
        let oneLine = text.replacingOccurrences(of: "\n", with: " ")
        guard !full, oneLine.count > limit else { return oneLine }
        return oneLine.prefix(max(limit - 1, 1)) + "…"
    }

    static func date(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }

    /// "just now", "3m ago", "in 2h"; the text itself when it is not an ISO 8601 time.
    static func relative(_ text: String?, now: Date = Date()) -> String {
        guard let text else { return "-" }
        guard let date = date(text) else { return text }
        let seconds = date.timeIntervalSince(now)
        if abs(seconds) < 5 { return "just now" }
        let span = duration(Int(abs(seconds).rounded()))
        return seconds < 0 ? "\(span) ago" : "in \(span)"
    }

    /// 45s, 12m, 3h, 2d: the largest unit only.
    static func duration(_ seconds: Int) -> String {
        switch seconds {
        case ..<60: "\(seconds)s"
        case ..<3600: "\(seconds / 60)m"
        case ..<86_400: "\(seconds / 3600)h"
        default: "\(seconds / 86_400)d"
        }
    }

    /// 2h 13m: for uptimes.
    static func uptime(_ seconds: Int) -> String {
        if seconds < 60 { return "\(seconds)s" }
        if seconds < 3600 { return "\(seconds / 60)m \(seconds % 60)s" }
        if seconds < 86_400 { return "\(seconds / 3600)h \(seconds % 3600 / 60)m" }
        return "\(seconds / 86_400)d \(seconds % 86_400 / 3600)h"
    }

    /// Rows under a header, each column as wide as its widest cell; the last column is not padded.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    /// A message body as one line: a chat message's text, anything else as compact JSON.
    static func body(_ intent: String, _ body: JSONValue, full: Bool) -> String {
        if intent == "chat.message", let text = body["text"]?.stringValue { return clip(text, 80, full: full) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = (try? encoder.encode(body)).map { String(decoding: $0, as: UTF8.self) } ?? "?"
        return clip(json, 80, full: full)
    }
}
