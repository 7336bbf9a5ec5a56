import Foundation
import GRDB
import MeshCore
import MeshPeer

/// The circuit breaker's state in `node_meta`, written in the same transaction as the audit entry of the change,
/// so a node restarted after a trip comes back tripped.
enum BreakerStore {
    static let key = "breaker-state"

    private struct Stored: Codable {
        var tripped: Bool
        var reason: String?
        var sinceMs: Int64?
        var automatic: Bool?
    }

    static func load(_ db: Database) throws -> CircuitBreaker.State {
        guard let bytes = try NodeMetaStore.get(key, db) else { return .closed }
        // A state that no longer reads fails safe: tripped, until the owner resets it.
        guard let stored = try? JSONDecoder().decode(Stored.self, from: Data(bytes)) else {
            return .tripped(reason: "the saved breaker state is unreadable", since: .zero, automatic: true)
        }
        guard stored.tripped else { return .closed }
        let milliseconds = stored.sinceMs ?? 0
        let (nanoseconds, overflow) = milliseconds.multipliedReportingOverflow(by: 1_000_000)
        return .tripped(
            reason: AuditLimits.clampReason(stored.reason ?? "tripped"),
            since: Timestamp(nanosecondsSinceEpoch: overflow ? 0 : nanoseconds),
            automatic: stored.automatic ?? false
        )
    }

    static func save(_ state: CircuitBreaker.State, _ db: Database) throws {
        let stored: Stored
        switch state {
        case .closed: stored = Stored(tripped: false)
        case .tripped(let reason, let since, let automatic):
            stored = Stored(tripped: true, reason: reason, sinceMs: since.millisecondsSinceEpoch, automatic: automatic)
        }
        try NodeMetaStore.set(key, Array(try JSONEncoder.sorted.encode(stored)), db)
    }
}
