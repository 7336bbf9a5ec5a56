import ArgumentParser
import CLISupport
import Foundation
import Logging

/// `--log-format`: plain text for people, or one JSON object per line for log collectors (journald, Loki, ELK).
enum LogFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case text
    case json

    /// Bootstraps swift-log once for the process (in the command's `run`, like metrics).
    func bootstrap(level: Logger.Level) {
        switch self {
        case .text:
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        case .json:
            LoggingSystem.bootstrap { label in
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
        }
    }
}

/// Writes each log event as one JSON object on one line of stderr:
/// `{"ts":"2026-12-04T21:40:00.123Z","level":"info","label":"meshpeer.relay","message":"…","metadata":{…}}`.
/// Keys are sorted, so lines are stable for tests and diffs; a message's newlines are escaped by JSON.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    init(label: String) {
        self.label = label
        self.metadataProvider = LoggingSystem.metadataProvider
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let own = event.metadata { merged.merge(own) { _, new in new } }
        var object: [String: Any] = [
            "ts": Self.timestamp(Date()), "level": event.level.rawValue, "label": label,
            "message": event.message.description,
        ]
        if !merged.isEmpty { object["metadata"] = merged.mapValues(Self.json) }
        if let error = event.error { object["error"] = "\(error)" }
        // Keys sorted without a locale (`SortedJSON`: `.sortedKeys` would load ICU's data into the process).
        let text = SortedJSON.line(object, escapingSlashes: false)
        // One write(2) per line: lines from several threads never interleave (stderr is unbuffered).
        let line = Data((text + "\n").utf8)
        line.withUnsafeBytes { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }

    static func json(_ value: Logger.MetadataValue) -> Any {
        switch value {
        case .string(let text): return text
        case .stringConvertible(let convertible): return convertible.description
        case .array(let values): return values.map(json)
        case .dictionary(let entries): return entries.mapValues(json)
        }
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(
            .iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted)
        )
    }
}
