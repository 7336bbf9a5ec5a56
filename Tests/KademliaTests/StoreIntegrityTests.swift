import Foundation
import GRDB
import Kademlia
import KademliaStore
import MeshCore
import TestSupport
import Testing

/// The SQLite store under a hostile or failing disk: a file edited with SQL injects nothing, a full database is
/// counted and logged while the node keeps serving, and a write never makes its caller (the event loop) wait.
@Suite struct StoreIntegrityTests {
    let now = Fixture.start
    let limits = RecordLimits(maximumLifetime: .seconds(7200), maximumClockSkew: .seconds(120))

    func temporaryDirectory() -> String {
        TestDirectory.make("kad-store").path
    }

    func agent(
        _ seed: UInt64,
        sequence: UInt64 = 1,
        issuedAt: Timestamp,
        ttl: Duration = .seconds(600)
    ) throws
        -> ValidatedRecord
    {
        let record = try AgentRecord.signed(
            by: Fixture.identity(seed),
            sequence: sequence,
            issuedAt: issuedAt,
            ttl: ttl
        )
        return try AgentRecordValidator().validate(record.envelope, now: issuedAt, limits: limits)
    }

    func provider(_ seed: UInt64, capability: String) throws -> ValidatedRecord {
        let key = ProviderRecord.key(forCapability: capability)
        let record = ProviderRecord.signed(
            by: Fixture.identity(seed),
            key: key,
            sequence: 1,
            issuedAt: now,
            ttl: .seconds(600)
        )
        return try ProviderRecordValidator().validate(record.envelope, now: now, limits: limits)
    }

    @Test func aTamperedFileInjectsNoRecord() async throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/dht.sqlite"
        let flipped = try agent(1, issuedAt: now)
        let rekeyed = try agent(2, issuedAt: now)
        let stale = try agent(3, issuedAt: now - .seconds(700), ttl: .seconds(600))
        let honest = try provider(4, capability: "translate")
        let other = try agent(5, issuedAt: now)
        do {
            let store = try SQLiteRecordStore(path: path, now: now - .seconds(700))
            for record in [flipped, rekeyed, stale, other] { store.putValue(record) }
            store.putProvider(honest)
            await store.flush()
            #expect(store.health.writeFailures == 0)
        }
        // Edit the file the way an attacker with the file would, with SQL.
        let file = try DatabaseQueue(path: path)
        try await file.write { db in
            // One signature byte flipped.
            try db.execute(
                sql:
                    "UPDATE record SET bytes = CAST(substr(bytes, 1, length(bytes) - 1) || X'00' AS BLOB) WHERE key = ?",
                arguments: [Data(flipped.key.bytes)]
            )
            // A genuine record filed under another agent's key.
            try db.execute(
                sql: "UPDATE record SET key = ? WHERE key = ?",
                arguments: [Data(Fixture.id([9]).bytes), Data(rekeyed.key.bytes)]
            )
            // An expired record whose row claims it lives for another day.
            try db.execute(
                sql: "UPDATE record SET expiresMs = ? WHERE key = ?",
                arguments: [(now + .seconds(86_400)).millisecondsSinceEpoch, Data(stale.key.bytes)]
            )
            // A row of garbage, and a valid record's bytes copied under a type that does not exist.
            try db.execute(
                sql: "INSERT INTO record VALUES (?, X'', 0, ?, 1, 99, ?, X'DEADBEEF')",
                arguments: [
                    Data(Fixture.id([7]).bytes), Data(Fixture.id([7]).bytes),
                    (now + .seconds(600)).millisecondsSinceEpoch,
                ]
            )
            try db.execute(
                sql: "INSERT INTO record VALUES (?, X'', 0, ?, 77, 1, ?, ?)",
                arguments: [
                    Data(Fixture.id([8]).bytes), Data(Fixture.id([8]).bytes),
                    (now + .seconds(600)).millisecondsSinceEpoch,
                    Data(other.envelope.bytes),
                ]
            )
        }
        try file.close()

        let reopened = try SQLiteRecordStore(path: path, now: now)
        #expect(reopened.health.rejectedOnLoad == 5)
        #expect(reopened.health.loaded == 2)
        #expect(reopened.value(for: flipped.key, now: now) == nil)
        #expect(reopened.value(for: rekeyed.key, now: now) == nil)
        #expect(reopened.value(for: Fixture.id([9]), now: now) == nil)
        #expect(reopened.value(for: stale.key, now: now) == nil)
        #expect(reopened.value(for: Fixture.id([7]), now: now) == nil)
        #expect(reopened.value(for: Fixture.id([8]), now: now) == nil)
        #expect(reopened.value(for: other.key, now: now) == other)
        #expect(reopened.provider(honest.publisher, for: honest.key) == honest)
        #expect(reopened.valueCount == 1)
        // The rejected rows are gone from the file, not only skipped.
        let remaining = try await DatabaseQueue(path: path).read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM record")
        }
        #expect(remaining == 2)
    }

    @Test func aFullDatabaseIsCountedAndTheNodeKeepsServing() async throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = Configuration()
        // A real SQLITE_FULL: the file may not grow past a few pages (the schema takes about six).
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA max_page_count = 8") }
        let database = try DatabasePool(path: directory + "/dht.sqlite", configuration: configuration)
        let store = try SQLiteRecordStore(database: database, now: now)
        let records = try (1...60 as ClosedRange<UInt64>).map { try provider($0, capability: "cap-\($0)") }
        for record in records {
            try RecordStoreRules.accept(record, into: store, now: now, config: KademliaConfig())
        }
        await store.flush()
        let health = store.health
        #expect(health.writeFailures > 0)
        #expect(health.lastError?.contains("full") == true)
        #expect(health.isHealthy == false)
        #expect(store.pendingWrites == 0)
        // Every record is still served from memory: a storage error costs durability, never the node.
        #expect(store.providerKeyCount == records.count)
        for record in records { #expect(store.provider(record.publisher, for: record.key) == record) }
    }

    @Test func aWriteNeverWaitsForTheDisk() async throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/dht.sqlite"
        let store = try SQLiteRecordStore(path: path, now: now)
        let records = try (1...20 as ClosedRange<UInt64>).map { try agent($0, issuedAt: now) }
        // Another connection holds the write lock, as a checkpoint or a slow disk would.
        var unsafe = Configuration()
        unsafe.allowsUnsafeTransactions = true  // the lock spans two accesses on purpose
        let holder = try DatabaseQueue(path: path, configuration: unsafe)
        try await holder.writeWithoutTransaction { db in try db.execute(sql: "BEGIN IMMEDIATE") }
        for record in records {
            try RecordStoreRules.accept(record, into: store, now: now, config: KademliaConfig())
        }
        // Every put returned while the lock was held: the writes wait on GRDB's queue, the records are served.
        #expect(store.pendingWrites > 0)
        #expect(store.valueCount == records.count)
        try await holder.writeWithoutTransaction { db in try db.execute(sql: "COMMIT") }
        await store.flush()
        #expect(store.pendingWrites == 0)
        #expect(store.health.isHealthy)
        let reopened = try SQLiteRecordStore(path: path, now: now)
        #expect(reopened.health.loaded == records.count)
    }

    @Test func aSnapshotFailureIsCountedNotThrown() async throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/dht.sqlite"
        let store = try SQLiteRecordStore(path: path, now: now)
        let contacts = [Contact(id: Fixture.id([1]), address: Fixture.address(1))]
        #expect(await store.saveSnapshot(contacts, now: now))
        #expect(try store.loadContacts() == contacts)
        // The table is gone under the store (a broken file): the snapshot fails, is counted, and nothing throws.
        try await DatabaseQueue(path: path).write { db in try db.execute(sql: "DROP TABLE contact") }
        #expect(await store.saveSnapshot(contacts, now: now) == false)
        #expect(store.health.snapshotFailures == 1)
        #expect(store.health.lastError?.contains("contact") == true)
    }

    @Test func aSavedContactThatNoLongerDecodesIsSkippedAndCounted() async throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/dht.sqlite"
        let store = try SQLiteRecordStore(path: path, now: now)
        let contacts = [
            Contact(id: Fixture.id([1]), address: Fixture.address(1)),
            Contact(id: Fixture.id([2]), address: Fixture.address(2)),
        ]
        #expect(await store.saveSnapshot(contacts, now: now))
        // One row's address and another's ID damaged in the file: both are skipped, and the count says so.
        try await DatabaseQueue(path: path).write { db in
            try db.execute(
                sql: "UPDATE contact SET address = x'0102' WHERE id = ?",
                arguments: [Data(contacts[0].id.bytes)]
            )
            try db.execute(sql: "INSERT INTO contact (id, address, savedMs) VALUES (x'00', x'00', 0)")
        }
        #expect(try store.loadContacts() == [contacts[1]])
        #expect(store.health.contactsSkippedOnLoad == 2)
    }
}
