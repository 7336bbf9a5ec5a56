import Foundation
import GRDB
import Kademlia
import Logging
import MeshCore
import Metrics
import Synchronization

/// Records and a routing-table snapshot in SQLite (WAL, versioned migrations), so a restarted node still serves
/// what it held and rejoins through the contacts it knew instead of a bootstrap list.
///
/// The Kademlia core calls a `RecordStore` synchronously from its event loop, so no SQL runs there: every record is
/// kept in memory (bounded by the same `KademliaConfig` capacities as the in-memory store) and served from it, and
/// each change is written behind through GRDB's asynchronous writer queue. Only `init` touches the disk
/// synchronously; call it before the driver starts (as `DHTNode.start` does), never on an event loop.
///
/// Storage errors never stop the node and are never silent: each failure is counted in `health`, in
/// `meshpeer_dht_store_*_total`, and logged. Stored rows are re-verified on load (`StoredRecordLoader`), so a
/// tampered or stale file cannot inject a record.
public final class SQLiteRecordStore: RecordStore, Sendable {
    let database: DatabasePool
    let logger: Logger
    /// Writes queued behind the memory copy at most; past it a write is dropped and counted (the record is still
    /// served until it expires, it just would not survive a restart).
    public let maximumPendingWrites: Int
    private let state: Mutex<State>
    private let metrics = StoreMetrics()

    struct State: ~Copyable {
        var memory: InMemoryRecordStore
        var pendingWrites = 0
        var health = RecordStoreHealth()
    }

    /// Opens (or creates) the database at `path` and loads the records that still verify at `now`.
    public convenience init(
        path: String,
        config: KademliaConfig = KademliaConfig(),
        validators: [any RecordValidator] = SQLiteRecordStore.defaultValidators,
        now: Timestamp = SystemClock().now(),
        maximumPendingWrites: Int = 4_096,
        logger: Logger = Logger(label: "meshpeer.dht.store")
    ) throws {
        var configuration = Configuration()
        // A reader or a checkpoint holding the lock briefly must not fail a write-behind.
        configuration.busyMode = .timeout(5)
        try self.init(
            database: try DatabasePool(path: path, configuration: configuration),
            config: config,
            validators: validators,
            now: now,
            maximumPendingWrites: maximumPendingWrites,
            logger: logger
        )
    }

    public init(
        database: DatabasePool,
        config: KademliaConfig = KademliaConfig(),
        validators: [any RecordValidator] = SQLiteRecordStore.defaultValidators,
        now: Timestamp,
        maximumPendingWrites: Int = 4_096,
        logger: Logger = Logger(label: "meshpeer.dht.store")
    ) throws {
        self.database = database
        self.logger = logger
        self.maximumPendingWrites = maximumPendingWrites
        try SQLiteRecordStore.migrator.migrate(database)
        let loader = StoredRecordLoader(
            validators: Dictionary(validators.map { ($0.type, $0) }, uniquingKeysWith: { first, _ in first }),
            limits: RecordLimits(
                maximumLifetime: config.maximumRecordLifetime,
                maximumClockSkew: config.maximumClockSkew
            ),
            config: config
        )
        let rows = try database.read { db in try loader.fetchRows(db) }
        let memory = InMemoryRecordStore()
        let outcome = loader.load(rows, into: memory, now: now)
        let rejected = outcome.rejected
        try database.write { db in
            for row in rejected {
                try db.execute(
                    sql: "DELETE FROM record WHERE key = ? AND slot = ? AND isProvider = ?",
                    arguments: [row.key, row.slot, row.isProvider]
                )
            }
            // Rows past the limit were never ours to keep (see `StoredRecordLoader.rowLimit`).
            try db.execute(
                sql: "DELETE FROM record WHERE rowid NOT IN (SELECT rowid FROM record ORDER BY rowid LIMIT ?)",
                arguments: [loader.rowLimit]
            )
        }
        var health = RecordStoreHealth()
        health.loaded = outcome.accepted
        health.rejectedOnLoad = rejected.count
        state = Mutex(State(memory: memory, health: health))
        metrics.rejectedOnLoad.increment(by: rejected.count)
        if !rejected.isEmpty {
            logger.warning(
                "stored DHT records failed re-verification and were deleted",
                metadata: [
                    "rejected": "\(rejected.count)", "loaded": "\(outcome.accepted)",
                    "reasons": "\(outcome.reasons.sorted { $0.key < $1.key })",
                ]
            )
        }
    }

    /// One validator per record type, as `KademliaNode` validates them: a stored record is re-checked by the same
    /// rules that let it in. A type without a validator here would be deleted on every load
    /// (`StoreTests.everyRecordTypeIsReverifiedOnLoad` fails when a new type is not added).
    public static let defaultValidators: [any RecordValidator] = [
        AgentRecordValidator(), ProviderRecordValidator(), SealedRecordValidator(), OwnerRevocationRecordValidator(),
    ]

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

    /// What failed so far (a copy).
    public var health: RecordStoreHealth { state.withLock { $0.health } }

    /// Writes queued but not yet committed or failed.
    public var pendingWrites: Int { state.withLock { $0.pendingWrites } }

    // MARK: RecordStore (memory only: these run on the DHT's event loop)

    public func value(for key: NodeID, now: Timestamp) -> ValidatedRecord? {
        state.withLock { $0.memory.value(for: key, now: now) }
    }

    public func providers(for key: NodeID, now: Timestamp, limit: Int) -> [ValidatedRecord] {
        state.withLock { $0.memory.providers(for: key, now: now, limit: limit) }
    }

    public func provider(_ publisher: NodeID, for key: NodeID) -> ValidatedRecord? {
        state.withLock { $0.memory.provider(publisher, for: key) }
    }

    public func providerCount(for key: NodeID) -> Int { state.withLock { $0.memory.providerCount(for: key) } }
    public var valueCount: Int { state.withLock { $0.memory.valueCount } }
    public var providerKeyCount: Int { state.withLock { $0.memory.providerKeyCount } }

    public func putValue(_ record: ValidatedRecord) {
        state.withLock { $0.memory.putValue(record) }
        persist("put") { db in try Self.insert(record, isProvider: false, db) }
    }

    public func putProvider(_ record: ValidatedRecord) {
        state.withLock { $0.memory.putProvider(record) }
        persist("put") { db in try Self.insert(record, isProvider: true, db) }
    }

    @discardableResult public func removeExpired(now: Timestamp) -> Int {
        let removed = state.withLock { $0.memory.removeExpired(now: now) }
        if removed > 0 {
            let cutoff = now.millisecondsSinceEpoch
            persist("expire") { db in
                try db.execute(sql: "DELETE FROM record WHERE expiresMs <= ?", arguments: [cutoff])
            }
        }
        return removed
    }

    // MARK: Write-behind

    /// Queues `work` on GRDB's writer; a failure is counted and logged, never thrown at the core.
    private func persist(_ operation: String, _ work: @escaping @Sendable (Database) throws -> Void) {
        let admitted = state.withLock { state -> Bool in
            guard state.pendingWrites < maximumPendingWrites else {
                state.health.writesDropped += 1
                return false
            }
            state.pendingWrites += 1
            return true
        }
        guard admitted else {
            metrics.writesDropped.increment()
            logOccasionally(
                "a DHT store write was dropped: \(maximumPendingWrites) writes already queued",
                count: \.writesDropped
            )
            return
        }
        database.asyncWrite(work) { [self] _, result in
            let failure: (any Error)? = if case .failure(let error) = result { error } else { nil }
            state.withLock { state in
                state.pendingWrites -= 1
                if let failure {
                    state.health.writeFailures += 1
                    state.health.lastError = "\(operation): \(failure)"
                }
            }
            if let failure {
                metrics.writeFailures.increment()
                logOccasionally("a DHT store write failed (\(operation)): \(failure)", count: \.writeFailures)
            }
        }
    }

    /// Logs the first failure of a kind and every hundredth after it, so a full disk does not fill the log too.
    func logOccasionally(_ message: String, count: KeyPath<RecordStoreHealth, Int>) {
        let seen = health[keyPath: count]
        guard seen == 1 || seen % 100 == 0 else { return }
        logger.error("\(message)", metadata: ["occurrences": "\(seen)"])
    }

    /// Waits until every queued write has committed or failed (GRDB runs writes in order, so one more write on the
    /// same queue is a barrier). The node calls it at shutdown.
    public func flush() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            database.asyncWriteWithoutTransaction { _ in continuation.resume() }
        }
    }

    static func insert(_ record: ValidatedRecord, isProvider: Bool, _ db: Database) throws {
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

    func noteSnapshotFailure(_ error: any Error) {
        let count = state.withLock { state in
            state.health.snapshotFailures += 1
            state.health.lastError = "snapshot: \(error)"
            return state.health.snapshotFailures
        }
        metrics.snapshotFailures.increment()
        if count == 1 || count % 100 == 0 {
            logger.error("the routing-table snapshot was not saved: \(error)", metadata: ["occurrences": "\(count)"])
        }
    }

    func noteContactsSkipped(_ count: Int) {
        state.withLock { $0.health.contactsSkippedOnLoad += count }
        metrics.contactsSkippedOnLoad.increment(by: count)
        logger.warning("saved contacts that do not decode were skipped", metadata: ["skipped": "\(count)"])
    }
}

/// The store's counters under `/metrics` (no-ops until the process bootstraps a metrics backend).
struct StoreMetrics: Sendable {
    let writeFailures = Counter(label: "meshpeer_dht_store_write_failures_total")
    let writesDropped = Counter(label: "meshpeer_dht_store_writes_dropped_total")
    let rejectedOnLoad = Counter(label: "meshpeer_dht_store_rejected_on_load_total")
    let snapshotFailures = Counter(label: "meshpeer_dht_store_snapshot_failures_total")
    let contactsSkippedOnLoad = Counter(label: "meshpeer_dht_store_contacts_skipped_on_load_total")
}
