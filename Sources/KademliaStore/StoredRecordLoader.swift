import Foundation
import GRDB
import Kademlia
import MeshCore

/// Reads the stored records back and re-verifies each one exactly as if it had arrived from the network: the
/// signature, the key it claims, its own expiry and lifetime (not the row's `expiresMs`, which anyone with the
/// file can edit), and the store's ordering and capacity rules. A row that fails is reported for deletion, so a
/// tampered or stale file cannot inject a record.
struct StoredRecordLoader {
    let validators: [RecordType: any RecordValidator]
    let limits: RecordLimits
    let config: KademliaConfig

    /// A row as stored, and the primary key that identifies it for deletion.
    struct StoredRow {
        let key: Data
        let slot: Data
        let isProvider: Bool
        let type: Int
        let bytes: Data
    }

    struct Outcome {
        var accepted = 0
        var rejected: [StoredRow] = []
        var reasons: [String: Int] = [:]
    }

    /// At most this many rows are read: the store cannot hold more than the configuration allows, so a file with
    /// more rows was not written by us and the rest is dropped.
    var rowLimit: Int { config.maximumValues + config.maximumProviderKeys * config.maximumProvidersPerKey }

    func fetchRows(_ db: Database) throws -> [StoredRow] {
        try Row.fetchAll(
            db,
            sql: "SELECT key, slot, isProvider, type, bytes FROM record ORDER BY rowid LIMIT ?",
            arguments: [rowLimit]
        ).map { row in
            StoredRow(
                key: row["key"] ?? Data(),
                slot: row["slot"] ?? Data(),
                isProvider: row["isProvider"] ?? false,
                type: row["type"] ?? -1,
                bytes: row["bytes"] ?? Data()
            )
        }
    }

    /// Verifies every row and accepts the good ones into `memory`.
    func load(_ rows: [StoredRow], into memory: InMemoryRecordStore, now: Timestamp) -> Outcome {
        var outcome = Outcome()
        for row in rows {
            do {
                let record = try verify(row, now: now)
                try RecordStoreRules.accept(record, into: memory, now: now, config: config)
                outcome.accepted += 1
            } catch let rejection as RecordRejection {
                outcome.rejected.append(row)
                outcome.reasons[rejection.code.rawValue, default: 0] += 1
            } catch {
                outcome.rejected.append(row)
                outcome.reasons[RecordRejection.Code.malformed.rawValue, default: 0] += 1
            }
        }
        return outcome
    }

    func verify(_ row: StoredRow, now: Timestamp) throws -> ValidatedRecord {
        guard let type = UInt8(exactly: row.type).flatMap(RecordType.init(rawValue:)), let validator = validators[type]
        else { throw RecordRejection(.unknownType, "stored type \(row.type)") }
        let record = try validator.validate(
            RecordEnvelope(type: type, bytes: Array(row.bytes)),
            now: now,
            limits: limits
        )
        // The row's own columns must agree with what the signed bytes say, or the row was edited.
        guard Array(row.key) == record.key.bytes, row.isProvider == (type == .provider),
            Array(row.slot) == (row.isProvider ? record.publisher.bytes : [])
        else { throw RecordRejection(.malformed, "the stored row does not match its signed record") }
        return record
    }
}
