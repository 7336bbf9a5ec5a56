import Foundation
import GRDB
import Indexer
import MeshCore

/// The version of an agent the mirror holds: enough to tell, before verifying anything, whether a record found
/// again is the same one (refresh last-seen), an older or conflicting one (stale), or new (verify it).
public struct MirroredVersion: Sendable, Equatable {
    public var sequence: UInt64
    public var record: [UInt8]

    /// What the sequence rule would do with `record` at `sequence`, or nil when it is new and must be verified.
    public func verdict(sequence other: UInt64, record bytes: [UInt8]) -> IngestOutcome? {
        if other < sequence || (other == sequence && bytes != record) { return .stale }
        return other == sequence ? .refreshed : nil
    }
}

extension Mirror {
    /// The mirrored version of each of `dids` that has a row (one read, one cached statement).
    public func versions(of dids: [String]) throws -> [String: MirroredVersion] {
        try database.read { db in
            var found: [String: MirroredVersion] = [:]
            let statement = try db.cachedStatement(sql: "SELECT sequence, record FROM indexer_agent WHERE did = ?")
            for did in Set(dids) {
                guard let row = try Row.fetchOne(statement, arguments: [did]) else { continue }
                let sequence: Int64 = row["sequence"]
                let record: Data = row["record"]
                found[did] = MirroredVersion(sequence: UInt64(bitPattern: sequence), record: Array(record))
            }
            return found
        }
    }

    /// Writes a batch in one transaction on the mirror's writer queue (off the caller's thread), and refreshes
    /// last-seen of `refreshed` agents found again unchanged (only while the row still has that `sequence`).
    public func write(
        _ batch: [(document: AgentDocument, source: String)],
        refreshed: [(did: String, sequence: UInt64)] = [],
        now: Timestamp
    ) async throws -> [IngestOutcome] {
        let limits = self.limits
        let lengths = self.lengths
        return try await database.write { db in
            try lengths.begin(db)
            for (did, sequence) in refreshed {
                try db.run(
                    "UPDATE indexer_agent SET last_seen_ms = ? WHERE did = ? AND sequence = ?",
                    [now.millisecondsSinceEpoch, did, Int64(bitPattern: sequence)]
                )
            }
            return try Mirror.upsert(batch, now: now, limits: limits, lengths: lengths, db: db)
        }
    }
}
