import Foundation
import GRDB
import MeshCore
import RelayFallback

/// Durable envelope storage: one SQLite database in WAL mode through GRDB.
///
/// WAL with `synchronous = NORMAL` survives a crash of the relay process (kill -9) without losing a committed
/// transaction; only a power loss can lose the last transactions (decision 0042). Every write the hub asks for
/// is one transaction, committed before the sender is told "stored".
public final class EnvelopeStore: Sendable {
    let database: DatabaseQueue

    public init(path: String) throws {
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        database = try DatabaseQueue(path: path, configuration: configuration)
        try Self.migrator.migrate(database)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-envelopes") { db in
            try db.create(table: "envelope") { table in
                table.column("sequence", .integer).primaryKey()
                table.column("id", .blob).notNull().unique()
                table.column("sender", .blob).notNull()
                table.column("recipient", .blob).notNull()
                table.column("expiresAtMs", .integer).notNull()
                table.column("payload", .blob).notNull()
            }
            try db.create(index: "envelope_by_recipient", on: "envelope", columns: ["recipient", "sequence"])
        }
        // The hub's duplicate memory (decision 0074): delivered IDs and until when a resend is a duplicate.
        // The rowid grows with every insert, so the oldest rows go first when the table is over its bound.
        migrator.registerMigration("v2-delivered") { db in
            try db.create(table: "delivered") { table in
                table.autoIncrementedPrimaryKey("rowid")
                table.column("id", .blob).notNull().unique(onConflict: .replace)
                table.column("expiresAtMs", .integer).notNull()
            }
        }
        return migrator
    }

    /// Every held envelope's metadata (not its payload), for the hub to rebuild its index at startup.
    public func loadMetadata() throws -> [StoredEnvelopeMeta] {
        try database.read { db in
            let rows = try Row.fetchCursor(
                db,
                sql:
                    "SELECT sequence, id, sender, recipient, expiresAtMs, length(payload) AS size FROM envelope ORDER BY sequence"
            )
            var metas: [StoredEnvelopeMeta] = []
            while let row = try rows.next() {
                let id: [UInt8] = Array(row["id"] as Data)
                let sender: [UInt8] = Array(row["sender"] as Data)
                let recipient: [UInt8] = Array(row["recipient"] as Data)
                guard let envelopeID = try? EnvelopeID(bytes: id), let from = try? NodeID(bytes: sender),
                    let to = try? NodeID(bytes: recipient)
                else { continue }
                let expires: Int64 = row["expiresAtMs"]
                metas.append(
                    StoredEnvelopeMeta(
                        sequence: UInt64(row["sequence"] as Int64),
                        id: envelopeID,
                        sender: from,
                        recipient: to,
                        byteCount: row["size"],
                        expiresAt: Timestamp(nanosecondsSinceEpoch: expires * 1_000_000)
                    )
                )
            }
            return metas
        }
    }

    public func persist(_ envelopes: [StoredEnvelope]) throws {
        try database.write { db in
            let statement = try db.cachedStatement(
                sql:
                    "INSERT OR IGNORE INTO envelope (sequence, id, sender, recipient, expiresAtMs, payload) VALUES (?, ?, ?, ?, ?, ?)"
            )
            for envelope in envelopes {
                let meta = envelope.meta
                try statement.execute(arguments: [
                    Int64(meta.sequence), Data(meta.id.bytes), Data(meta.sender.bytes), Data(meta.recipient.bytes),
                    meta.expiresAt.millisecondsSinceEpoch, Data(envelope.payload),
                ])
            }
        }
    }

    /// In one transaction: remembers delivered IDs, keeping at most `capacity` (the newest), and deletes
    /// envelopes (acknowledged or expired).
    public func settle(remember records: [DeliveredRecord], capacity: Int, delete ids: [EnvelopeID]) throws {
        try database.write { db in
            if !records.isEmpty {
                let insert = try db.cachedStatement(sql: "INSERT INTO delivered (id, expiresAtMs) VALUES (?, ?)")
                for record in records {
                    try insert.execute(arguments: [Data(record.id.bytes), record.expiresAt.millisecondsSinceEpoch])
                }
                try db.execute(
                    sql: "DELETE FROM delivered WHERE rowid <= (SELECT max(rowid) FROM delivered) - ?",
                    arguments: [max(capacity, 1)]
                )
            }
            let delete = try db.cachedStatement(sql: "DELETE FROM envelope WHERE id = ?")
            for id in ids { try delete.execute(arguments: [Data(id.bytes)]) }
        }
    }

    /// The remembered delivered IDs that have not expired; expired ones are deleted.
    public func loadDelivered(now: Timestamp) throws -> [DeliveredRecord] {
        try database.write { db in
            try db.execute(
                sql: "DELETE FROM delivered WHERE expiresAtMs <= ?",
                arguments: [now.millisecondsSinceEpoch]
            )
            let rows = try Row.fetchAll(db, sql: "SELECT id, expiresAtMs FROM delivered ORDER BY rowid")
            return rows.compactMap { row in
                guard let id = try? EnvelopeID(bytes: Array(row["id"] as Data)) else { return nil }
                let expires: Int64 = row["expiresAtMs"]
                return DeliveredRecord(id: id, expiresAt: Timestamp(nanosecondsSinceEpoch: expires * 1_000_000))
            }
        }
    }

    public func delete(_ ids: [EnvelopeID]) throws {
        try database.write { db in
            let statement = try db.cachedStatement(sql: "DELETE FROM envelope WHERE id = ?")
            for id in ids { try statement.execute(arguments: [Data(id.bytes)]) }
        }
    }

    /// Payloads by sequence number; a missing row (deleted meanwhile) is simply absent.
    public func payloads(_ sequences: [UInt64]) throws -> [UInt64: [UInt8]] {
        try database.read { db in
            let statement = try db.cachedStatement(sql: "SELECT payload FROM envelope WHERE sequence = ?")
            var result: [UInt64: [UInt8]] = [:]
            for sequence in sequences {
                if let data = try Data.fetchOne(statement, arguments: [Int64(sequence)]) {
                    result[sequence] = Array(data)
                }
            }
            return result
        }
    }

    public func count() throws -> Int {
        try database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM envelope") ?? 0 }
    }

    /// Folds the WAL into the main file so a clean shutdown leaves one self-contained database.
    public func checkpoint() throws {
        try database.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
        }
    }

    public func close() throws {
        try database.close()
    }
}
