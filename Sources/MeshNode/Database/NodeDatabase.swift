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
        // NORMAL is durable in WAL mode across a process crash (kill -9); only a power loss may drop the last
        // commits, which the relays and the outbox resend.
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
