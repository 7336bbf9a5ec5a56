import Foundation
import GRDB
import Kademlia
import MeshCore

/// Records and a routing-table snapshot in SQLite (WAL, versioned migrations), so a restarted node still serves
/// what it held and rejoins through the contacts it knew instead of a bootstrap list.
///
/// Only records a validator accepted arrive here (ordering is `RecordStoreRules`' job), and they are stored as
/// their signed bytes, so a record read back is checked the same way as one from the network would be.
/// `Sendable` because its only state is a `DatabasePool`, which serialises writes and allows concurrent reads.
public final class SQLiteRecordStore: RecordStore, Sendable {
    let database: DatabasePool

    public init(path: String) throws {
        database = try DatabasePool(path: path)
        try SQLiteRecordStore.migrator.migrate(database)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE record (
                        key BLOB NOT NULL, slot BLOB NOT NULL, isProvider INTEGER NOT NULL, publisher BLOB NOT NULL,
                        type INTEGER NOT NULL, sequence INTEGER NOT NULL, expiresMs INTEGER NOT NULL, bytes BLOB NOT NULL,
                        PRIMARY KEY (key, slot, isProvider));
                    CREATE INDEX record_expiry ON record (expiresMs);
                    CREATE TABLE contact (id BLOB PRIMARY KEY, address BLOB NOT NULL, savedMs INTEGER NOT NULL);
                    """
            )
        }
        return migrator
    }

    // MARK: RecordStore

    public func value(for key: NodeID, now: Timestamp) -> ValidatedRecord? {
        rows("WHERE key = ? AND isProvider = 0 AND expiresMs > ?", [Data(key.bytes), now.millisecondsSinceEpoch]).first
    }

    public func providers(for key: NodeID, now: Timestamp, limit: Int) -> [ValidatedRecord] {
        rows(
            "WHERE key = ? AND isProvider = 1 AND expiresMs > ? ORDER BY sequence DESC, publisher LIMIT ?",
            [Data(key.bytes), now.millisecondsSinceEpoch, limit]
        )
    }

    public func provider(_ publisher: NodeID, for key: NodeID) -> ValidatedRecord? {
        rows("WHERE key = ? AND slot = ? AND isProvider = 1", [Data(key.bytes), Data(publisher.bytes)]).first
    }

    public func providerCount(for key: NodeID) -> Int {
        count("SELECT COUNT(*) FROM record WHERE key = ? AND isProvider = 1", [Data(key.bytes)])
    }

    public var valueCount: Int { count("SELECT COUNT(*) FROM record WHERE isProvider = 0", []) }
    public var providerKeyCount: Int { count("SELECT COUNT(DISTINCT key) FROM record WHERE isProvider = 1", []) }

    public func putValue(_ record: ValidatedRecord) { put(record, isProvider: false) }
    public func putProvider(_ record: ValidatedRecord) { put(record, isProvider: true) }

    @discardableResult public func removeExpired(now: Timestamp) -> Int {
        (try? database.write { db in
            try db.execute(sql: "DELETE FROM record WHERE expiresMs <= ?", arguments: [now.millisecondsSinceEpoch])
            return db.changesCount
        }) ?? 0
    }

    // MARK: Routing-table snapshot

    /// Replaces the saved contacts with `contacts` (the table's current verified entries).
    public func saveContacts(_ contacts: [Contact], now: Timestamp) throws {
        try database.write { db in
            try db.execute(sql: "DELETE FROM contact")
            for contact in contacts {
                try db.execute(
                    sql: "INSERT INTO contact (id, address, savedMs) VALUES (?, ?, ?)",
                    arguments: [Data(contact.id.bytes), Data(contact.address.wireBytes), now.millisecondsSinceEpoch]
                )
            }
        }
    }

    /// The saved contacts; rows that no longer decode are skipped.
    public func loadContacts() throws -> [Contact] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT id, address FROM contact ORDER BY savedMs DESC").compactMap { row in
                let idBytes: Data = row["id"]
                let addressBytes: Data = row["address"]
                guard let id = try? NodeID(bytes: Array(idBytes)),
                    let address = try? PeerAddress(wireBytes: Array(addressBytes))
                else { return nil }
                return Contact(id: id, address: address)
            }
        }
    }

    // MARK: Plumbing

    private func put(_ record: ValidatedRecord, isProvider: Bool) {
        try? database.write { db in
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO record (key, slot, isProvider, publisher, type, sequence, expiresMs, bytes)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    Data(record.key.bytes), Data(isProvider ? record.publisher.bytes : []), isProvider,
                    Data(record.publisher.bytes), Int(record.type.rawValue), Int64(bitPattern: record.sequence),
                    record.expiresAt.millisecondsSinceEpoch, Data(record.envelope.bytes),
                ]
            )
        }
    }

    private func rows(_ clause: String, _ arguments: StatementArguments) -> [ValidatedRecord] {
        (try? database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM record " + clause, arguments: arguments).compactMap(Self.record)
        }) ?? []
    }

    private func count(_ sql: String, _ arguments: StatementArguments) -> Int {
        (try? database.read { db in try Int.fetchOne(db, sql: sql, arguments: arguments) ?? 0 }) ?? 0
    }

    static func record(_ row: Row) -> ValidatedRecord? {
        let keyBytes: Data = row["key"]
        let typeValue: Int = row["type"]
        guard let key = try? NodeID(bytes: Array(keyBytes)), let type = RecordType(rawValue: UInt8(clamping: typeValue))
        else { return nil }
        let bytes = Array(row["bytes"] as Data)
        let publisherBytes = Array(row["publisher"] as Data)
        return ValidatedRecord(
            key: key,
            type: type,
            sequence: UInt64(bitPattern: row["sequence"] as Int64),
            expiresAt: Timestamp(nanosecondsSinceEpoch: (row["expiresMs"] as Int64) * 1_000_000),
            publisher: (try? NodeID(bytes: publisherBytes)) ?? key,
            envelope: RecordEnvelope(type: type, bytes: bytes)
        )
    }
}
