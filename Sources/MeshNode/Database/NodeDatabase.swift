import Foundation
import GRDB

/// The node's one SQLite database (`node.sqlite` in the data directory): a GRDB `DatabasePool` in WAL mode that
/// every store shares. Each store registers its own prefixed migrations and tables, so subsystems evolve apart
/// while a single transaction can still span them ("decrypt, store and mark for ack" is one commit).
///
/// All access goes through GRDB's async API, which runs on GRDB's own serial writer and reader threads: SQLite
/// never blocks an event-loop thread.
public struct NodeDatabase: Sendable {
    public let pool: DatabasePool
    public let path: String

    /// Opens (creating if needed) `path` and applies every store's migrations in one migrator.
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.label = "meshpeer-node"
        // Durability: WAL with synchronous = NORMAL. A commit is in the WAL file (the kernel's page cache) before
        // `write` returns, so a killed process (kill -9, a crash) loses nothing it committed: what the API
        // acknowledged is in the outbox, and a relay is acknowledged only after the inbox commit.
        // `NodeProcessTests.exactlyOnceThroughCrashes` holds it to that, killing sender, relay and recipient.
        // Only a power loss or a kernel crash can drop the commits since the last checkpoint's fsync. FULL would
        // close that window with an fsync per commit (0.1-4 ms measured here) on every group commit of sends,
        // every inbound batch and every run of relay answers. A recipient's commit lost that way takes its receipt
        // with it, so the sender resends; a sender's lost commit can lose a message the API accepted, which needs
        // the host itself to fail. Decision 0110 keeps this level for the node, as 0042 did for the relay.
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        pool = try DatabasePool(path: path, configuration: configuration)
        self.path = path
        try NodeDatabase.migrator.migrate(pool)
        // The file holds sealed session state and message bodies: readable by the owner only.
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
            chmod(path + suffix, 0o600)
        }
    }

    /// Every node store's migrations, in the order they were introduced. Prefixes keep their names apart.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        NodeMetaStore.registerMigrations(in: &migrator)
        ContactStore.registerMigrations(in: &migrator)
        KnockStore.registerMigrations(in: &migrator)
        OutboxStore.registerMigrations(in: &migrator)
        InboxStore.registerMigrations(in: &migrator)
        AuditStore.registerMigrations(in: &migrator)
        InviteStore.registerMigrations(in: &migrator)
        return migrator
    }
}
