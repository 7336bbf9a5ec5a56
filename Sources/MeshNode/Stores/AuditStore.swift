import Foundation
import GRDB
import MeshCore
import MeshPeer

/// The owner's audit log in `node.sqlite` (`node_audit`), hash-chained (`AuditChain`). Every append runs inside the
/// transaction of what it records (a knock decision, a send, a receive, a breaker change), so the log can neither
/// miss an event that committed nor hold one that did not. The checkpoint of a trimmed head and the audit
/// settings live in `node_meta`.
enum AuditStore {
    static let checkpointKey = "audit-checkpoint"
    static let recordBodiesKey = "audit-record-bodies"
    /// Entries read at once while verifying.
    static let verifyPage = 1_000

    static func registerMigrations(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("node-audit-v1") { db in
            try db.create(table: "node_audit") { table in
                table.column("seq", .integer).primaryKey()
                table.column("at_ms", .integer).notNull()
                table.column("kind", .text).notNull()
                table.column("peer", .text)
                table.column("intent", .text)
                table.column("size", .integer)
                table.column("path", .text)
                table.column("detail", .text).notNull()
                table.column("prev_hash", .blob).notNull()
                table.column("hash", .blob).notNull()
            }
            try db.create(index: "node_audit_at", on: "node_audit", columns: ["at_ms"])
        }
    }

    static let insertSQL = """
        INSERT INTO node_audit (seq, at_ms, kind, peer, intent, size, path, detail, prev_hash, hash)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    /// Appends `record` after the newest entry (or the checkpoint, or genesis) in the caller's transaction.
    @discardableResult
    static func append(
        _ record: AuditEntry.Record,
        node: Ed25519.PublicKey,
        now: Timestamp,
        _ db: Database
    ) throws
        -> AuditEntry
    {
        let entry = AuditEntry.next(record, after: try head(node: node, db), at: now)
        let detail = String(decoding: try JSONEncoder.sorted.encode(entry.record.detail), as: UTF8.self)
        try db.executeCached(
            sql: insertSQL,
            arguments: [
                Int64(bitPattern: entry.sequence), entry.at.millisecondsSinceEpoch, entry.record.kind.rawValue,
                entry.record.peer, entry.record.intent, entry.record.size.map { Int64($0) }, entry.record.path, detail,
                Data(entry.previousHash), Data(entry.hash),
            ]
        )
        return entry
    }

    /// The newest entry's sequence number and hash; the checkpoint's when every entry was trimmed; genesis before
    /// the first entry.
    static func head(node: Ed25519.PublicKey, _ db: Database) throws -> (sequence: UInt64, hash: [UInt8]) {
        // Read on every append: from the statement's row, by position (a copied row's lookup by name lowercases).
        let newest = try Row.decodeOne(cached: db, sql: "SELECT seq, hash FROM node_audit ORDER BY seq DESC LIMIT 1") {
            row -> (sequence: UInt64, hash: [UInt8]) in
            (UInt64(bitPattern: row[0] as Int64), [UInt8](row[1] as Data))
        }
        if let newest { return newest }
        if let checkpoint = try checkpoint(db) { return (checkpoint.sequence, checkpoint.hash) }
        return (0, AuditChain.genesis(for: node))
    }

    /// Entries after `sequence`, oldest first. A row that cannot be read back as written (an edited type, a
    /// detail that is not a JSON object of strings) comes back with empty contents, so verification names it.
    static func page(after sequence: UInt64, limit: Int, _ db: Database) throws -> [AuditEntry] {
        try Row.decodeAll(
            cached: db,
            sql: "SELECT * FROM node_audit WHERE seq > ? ORDER BY seq LIMIT ?",
            arguments: [Int64(bitPattern: min(sequence, UInt64(Int64.max))), limit],
            entry(from:)
        )
    }

    static func count(_ db: Database) throws -> Int {
        try Int.fetchOne(cached: db, sql: "SELECT COUNT(*) FROM node_audit") ?? 0
    }

    static func checkpoint(_ db: Database) throws -> AuditCheckpoint? {
        guard let bytes = try NodeMetaStore.get(checkpointKey, db) else { return nil }
        return try AuditCheckpoint(decoding: bytes)
    }

    /// Verifies the whole log, reading it in pages so memory stays bounded by one page and the chain state.
    static func verify(node: Ed25519.PublicKey, _ db: Database) throws -> (AuditVerifier.Report, AuditCheckpoint?) {
        let checkpoint: AuditCheckpoint?
        do { checkpoint = try self.checkpoint(db) } catch {
            return (
                AuditVerifier.Report(
                    ok: false,
                    entries: try count(db),
                    firstBadSequence: nil,
                    reason: "the checkpoint is unreadable: \(error)"
                ),
                nil
            )
        }
        // One page at a time: memory stays at a page whatever the retention allows. A broken link asks where
        // the hash it names is stored (a scan, only on failure) to tell a moved entry from an edited one.
        // A database error while locating a hash is the verification's error, not "the hash is nowhere" (which
        // would report an edited entry where the disk failed).
        var walk = AuditVerifier.Walk(node: node, checkpoint: checkpoint)
        var after: UInt64 = 0
        var lookupFailure: (any Error)?
        while walk.isIntact {
            let entries = try page(after: after, limit: verifyPage, db)
            guard let last = entries.last else { break }
            for entry in entries {
                let intact = walk.feed(entry) { hash in
                    do {
                        return try Int64.fetchOne(
                            cached: db,
                            sql: "SELECT seq FROM node_audit WHERE hash = ?",
                            arguments: [Data(hash)]
                        ).map { UInt64(bitPattern: $0) }
                    } catch {
                        lookupFailure = error
                        return nil
                    }
                }
                if let lookupFailure { throw lookupFailure }
                if !intact { break }
            }
            after = last.sequence
        }
        return (walk.report(entries: try count(db)), checkpoint)
    }

    /// Trims entries beyond `retention`: the last trimmed entry becomes a signed checkpoint and an
    /// `audit.trimmed` entry records the trim. Returns how many entries went.
    @discardableResult
    static func trim(
        _ retention: AuditRetention,
        identity: AgentIdentity,
        now: Timestamp,
        _ db: Database
    ) throws -> Int {
        guard
            let bounds = try Row.fetchOne(
                cached: db,
                sql: "SELECT MIN(seq) AS oldest, MAX(seq) AS newest FROM node_audit"
            ),
            let oldest = bounds["oldest"] as Int64?, let newest = bounds["newest"] as Int64?
        else { return 0 }
        let lastTooOld = try Int64.fetchOne(
            cached: db,
            sql: "SELECT MAX(seq) FROM node_audit WHERE at_ms < ?",
            arguments: [retention.ageLimit(now: now).millisecondsSinceEpoch]
        )
        guard
            let cut = retention.trimThrough(
                oldest: UInt64(bitPattern: oldest),
                newest: UInt64(bitPattern: newest),
                lastTooOld: lastTooOld.map { UInt64(bitPattern: $0) }
            ),
            let hash = try Data.fetchOne(
                cached: db,
                sql: "SELECT hash FROM node_audit WHERE seq = ?",
                arguments: [Int64(bitPattern: cut)]
            )
        else { return 0 }
        try db.executeCached(sql: "DELETE FROM node_audit WHERE seq <= ?", arguments: [Int64(bitPattern: cut)])
        let trimmed = db.changesCount
        // An unreadable checkpoint stops the trim (the caller logs it) instead of restarting the total at zero.
        let total = try checkpoint(db)?.trimmedTotal ?? 0
        let checkpoint = AuditCheckpoint.signed(
            sequence: cut,
            hash: [UInt8](hash),
            at: now,
            trimmedTotal: total + UInt64(trimmed),
            by: identity
        )
        try NodeMetaStore.set(checkpointKey, checkpoint.encoded(), db)
        try append(
            AuditEntry.Record(kind: .auditTrimmed, detail: ["through": "\(cut)", "trimmed": "\(trimmed)"]),
            node: identity.publicKey,
            now: now,
            db
        )
        return trimmed
    }

    /// Whether message bodies go into the log (the owner's opt-in, copied here from config.json at start so every
    /// transaction sees the same answer).
    static func recordsBodies(_ db: Database) throws -> Bool {
        try NodeMetaStore.get(recordBodiesKey, db) == [1]
    }

    static func setRecordsBodies(_ on: Bool, _ db: Database) throws {
        try NodeMetaStore.set(recordBodiesKey, [on ? 1 : 0], db)
    }

    private static func entry(from row: Row) -> AuditEntry {
        let sequence = UInt64(bitPattern: (row["seq"] as Int64?) ?? 0)
        let milliseconds = (row["at_ms"] as Int64?) ?? 0
        let (nanoseconds, overflow) = milliseconds.multipliedReportingOverflow(by: 1_000_000)
        let detailText = (row["detail"] as String?) ?? ""
        let detail = (try? JSONDecoder().decode([String: String].self, from: Data(detailText.utf8)))
        let record = AuditEntry.Record(
            kind: AuditEntry.Kind((row["kind"] as String?) ?? ""),
            peer: row["peer"],
            intent: row["intent"],
            size: (row["size"] as Int64?).map { Int(clamping: $0) },
            path: row["path"],
            // An unreadable detail is kept visible as such, and its hash no longer matches.
            detail: detail ?? ["unreadable": detailText]
        )
        return AuditEntry(
            sequence: sequence,
            at: Timestamp(nanosecondsSinceEpoch: overflow ? .max : nanoseconds),
            record: record,
            previousHash: [UInt8]((row["prev_hash"] as Data?) ?? Data()),
            hash: [UInt8]((row["hash"] as Data?) ?? Data())
        )
    }
}

extension JSONEncoder {
    /// Keys sorted, so the stored detail text is the same for the same detail.
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
