import Foundation
import MeshCore

/// Instants at the API edge: RFC 3339 in UTC with milliseconds, what every JSON library parses.
enum APITime {
    static func format(_ instant: Timestamp) -> String {
        Date(timeIntervalSince1970: Double(instant.millisecondsSinceEpoch) / 1_000)
            .formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
