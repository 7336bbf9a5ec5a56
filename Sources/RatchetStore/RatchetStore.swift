import GRDB
import MeshCore
import Ratchet

/// Durable Ratchet state in SQLite (GRDB, WAL): the prekey secrets and every peer's sessions, each row sealed
/// with XChaCha20-Poly1305 under a key derived from the identity the keystore holds (decision 0013).
///
/// The Ratchet itself stays IO-free; this is its driver. Every operation that changes a session (encrypt,
/// receive, start) loads, applies and saves inside one write transaction, and returns its result only after the
/// commit: a crash at any point leaves either the old state or the new one, never a ciphertext whose message key
/// is not yet recorded as used.
public final class RatchetStore: Sendable {
    let database: any DatabaseWriter
    let sealer: RowSealer
    public let limits: RatchetLimits
    public let schedule: PrekeySchedule

    /// Opens (creating if needed) the database at `path`. `key` comes from `RatchetStore.key(for:)`.
    public convenience init(
        path: String,
        key: SecureBytes,
        limits: RatchetLimits = .default,
        schedule: PrekeySchedule = PrekeySchedule()
    ) throws {
        try self.init(database: DatabasePool(path: path), key: key, limits: limits, schedule: schedule)
    }

    /// An in-memory store, for tests.
    public static func inMemory(key: SecureBytes, limits: RatchetLimits = .default) throws -> RatchetStore {
        try RatchetStore(database: DatabaseQueue(), key: key, limits: limits, schedule: PrekeySchedule())
    }

    init(database: any DatabaseWriter, key: SecureBytes, limits: RatchetLimits, schedule: PrekeySchedule) throws {
        self.database = database
        self.sealer = try RowSealer(key: key)
        self.limits = limits
        self.schedule = schedule
        try RatchetStore.migrator.migrate(database)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("ratchet-v1") { db in
            try db.create(table: "ratchet_prekeys") { table in
                table.column("id", .integer).primaryKey().check { $0 == 1 }
                table.column("sealed", .blob).notNull()
            }
            try db.create(table: "ratchet_sessions") { table in
                table.column("peer", .blob).primaryKey()
                table.column("sealed", .blob).notNull()
            }
        }
        return migrator
    }

    /// The at-rest key: HKDF-SHA-256 of the identity's Ed25519 seed (salt: 32 zero bytes,
    /// info `meshpeer/v1/ratchet/store-key`), so whoever can unlock the keystore can read the sessions.
    public static func key(for identity: AgentIdentity) -> SecureBytes {
        try! HKDF<SHA256>.deriveKey(
            inputKeyMaterial: identity.signingKey.seed,
            salt: [UInt8](repeating: 0, count: 32),
            info: Array("meshpeer/v1/ratchet/store-key".utf8),
            outputByteCount: 32
        )
    }
}

extension RatchetStore {
    /// A store over the node's shared database (its `ratchet-v1` migration runs here), so a session change can
    /// commit in the same transaction as the message it encrypts or decrypts.
    public static func shared(
        database: any DatabaseWriter,
        key: SecureBytes,
        limits: RatchetLimits = .default,
        schedule: PrekeySchedule = PrekeySchedule()
    ) throws -> RatchetStore {
        try RatchetStore(database: database, key: key, limits: limits, schedule: schedule)
    }
}
