import Foundation
import GRDB
import MeshCore
import MeshPeer

/// Received messages (`node_inbox`) and the durable memory of envelope IDs already processed (`node_received`).
///
/// A message becomes visible to the agent (gets a cursor) in its conversation's order: one that arrives ahead of
/// a gap waits, with no cursor, until the gap fills or `gapTimeout` passes. Cursors only grow, so an agent that
/// reads "after N" never misses a message that became visible later.
enum InboxStore {
    /// How long a message waits for an earlier one of the same conversation before it is shown anyway. Longer
    /// than the sender's first timed resend (30 s) plus a round trip: a lost message is normally resent at once
    /// (the receipts for what follows it show the gap to the sender), but when those receipts are lost too, the
    /// timed resend must still win the race, or the conversation would be shown out of order.
    static let gapTimeout: Duration = .seconds(90)
    /// How long processed envelope IDs are remembered (longer than any sender keeps resending: 7 days of expiry).
    static let receivedMemory: Duration = .seconds(8 * 24 * 3600)

    static func registerMigrations(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("inbox-v1") { db in
            try db.create(table: "node_inbox") { table in
                table.autoIncrementedPrimaryKey("row")
                table.column("cursor", .integer).unique()
                table.column("id", .blob).notNull()
                table.column("sender", .text).notNull()
                table.column("intent", .text).notNull()
                table.column("body", .blob).notNull()
                table.column("in_reply_to", .blob)
                table.column("conv_seq", .integer).notNull()
                table.column("created_ms", .integer).notNull()
                table.column("received_ms", .integer).notNull()
                table.column("expires_ms", .integer)
            }
            try db.create(index: "node_inbox_held", on: "node_inbox", columns: ["sender", "conv_seq"])
            try db.create(table: "node_received", options: [.withoutRowID]) { table in
                table.column("sender_key", .blob).notNull()
                table.column("envelope_id", .blob).notNull()
                table.column("received_ms", .integer).notNull()
                table.primaryKey(["sender_key", "envelope_id"])
            }
        }
    }

    // MARK: Deduplication

    static func wasReceived(sender: Ed25519.PublicKey, id: MessageID, _ db: Database) throws -> Bool {
        try Bool.fetchOne(
            cached: db,
            sql: "SELECT 1 FROM node_received WHERE sender_key = ? AND envelope_id = ?",
            arguments: [Data(sender.rawRepresentation), Data(id.bytes)]
        ) ?? false
    }

    static func markReceived(sender: Ed25519.PublicKey, id: MessageID, now: Timestamp, _ db: Database) throws {
        try db.executeCached(
            sql: "INSERT OR IGNORE INTO node_received (sender_key, envelope_id, received_ms) VALUES (?, ?, ?)",
            arguments: [Data(sender.rawRepresentation), Data(id.bytes), now.millisecondsSinceEpoch]
        )
    }

    static func forgetReceived(before: Timestamp, _ db: Database) throws {
        try db.executeCached(
            sql: "DELETE FROM node_received WHERE received_ms < ?",
            arguments: [before.millisecondsSinceEpoch]
        )
    }

    // MARK: Messages

    /// Stores a message from a contact and returns the messages that became visible (in order).
    static func insert(
        _ message: AgentMessage,
        from contact: Contact,
        now: Timestamp,
        _ db: Database
    ) throws -> [InboxMessage] {
        try db.executeCached(
            sql: """
                INSERT INTO node_inbox (id, sender, intent, body, in_reply_to, conv_seq, created_ms, received_ms,
                    expires_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                Data(message.id.bytes), contact.did, message.intent, Data(message.body),
                message.inReplyTo.map { Data($0.bytes) }, Int64(message.sequence),
                message.createdAt.millisecondsSinceEpoch, now.millisecondsSinceEpoch,
                message.expiresAt?.millisecondsSinceEpoch,
            ]
        )
        let row = db.lastInsertedRowID
        if message.sequence < contact.nextReceiveSequence {
            // Late (its gap was given up on): show it now rather than lose it.
            return [try reveal(row: row, db)].compactMap { $0 }
        }
        guard message.sequence == contact.nextReceiveSequence else { return [] }
        return try releaseInOrder(sender: contact.did, from: contact.nextReceiveSequence, db)
    }

    /// Shows held messages of `sender` from sequence `next` on while they are consecutive; advances the contact.
    static func releaseInOrder(sender: String, from next: UInt64, _ db: Database) throws -> [InboxMessage] {
        var next = next
        var shown: [InboxMessage] = []
        let held = try Row.fetchAll(
            cached: db,
            sql:
                "SELECT row, conv_seq FROM node_inbox WHERE sender = ? AND cursor IS NULL AND conv_seq >= ? ORDER BY conv_seq",
            arguments: [sender, Int64(next)]
        )
        for entry in held {
            // By position (row, conv_seq): a copied row's lookup by name lowercases every column name.
            let sequence = UInt64(entry[1] as Int64)
            guard sequence == next else { break }
            if let message = try reveal(row: entry[0], db) { shown.append(message) }
            next += 1
        }
        try ContactStore.setReceiveSequence(did: sender, next, db)
        return shown
    }

    static func hasHeld(_ db: Database) throws -> Bool {
        try Bool.fetchOne(cached: db, sql: "SELECT EXISTS (SELECT 1 FROM node_inbox WHERE cursor IS NULL)") ?? false
    }

    /// Gives up on gaps older than `gapTimeout`: their held successors are shown, in order.
    static func releaseStale(now: Timestamp, _ db: Database) throws -> [InboxMessage] {
        let stale = try Row.fetchAll(
            cached: db,
            sql: """
                SELECT sender, MIN(conv_seq) AS first FROM node_inbox WHERE cursor IS NULL AND received_ms <= ?
                GROUP BY sender
                """,
            arguments: [(now - gapTimeout).millisecondsSinceEpoch]
        )
        var shown: [InboxMessage] = []
        for entry in stale {
            shown += try releaseInOrder(sender: entry["sender"], from: UInt64(entry["first"] as Int64), db)
        }
        return shown
    }

    static func reveal(row: Int64, _ db: Database) throws -> InboxMessage? {
        let cursor = (try Int64.fetchOne(cached: db, sql: "SELECT COALESCE(MAX(cursor), 0) + 1 FROM node_inbox")) ?? 1
        try db.executeCached(sql: "UPDATE node_inbox SET cursor = ? WHERE row = ?", arguments: [cursor, row])
        return try Row.decodeOne(cached: db, sql: "SELECT * FROM node_inbox WHERE row = ?", arguments: [row], decode)
    }

    static func page(after cursor: Int64, limit: Int, _ db: Database) throws -> [InboxMessage] {
        try Row.decodeAll(
            cached: db,
            sql: "SELECT * FROM node_inbox WHERE cursor > ? ORDER BY cursor LIMIT ?",
            arguments: [cursor, limit],
            decode
        )
    }

    static func count(_ db: Database) throws -> Int {
        try Int.fetchOne(cached: db, sql: "SELECT COUNT(*) FROM node_inbox WHERE cursor IS NOT NULL") ?? 0
    }

    /// A row of `node_inbox`, or nil (noted by `UnreadableRows`) when it cannot be read.
    static func decode(_ row: Row) -> InboxMessage? { UnreadableRows.read(row, table: "node_inbox", parse) }

    static func parse(_ row: Row) -> InboxMessage? {
        guard let cursor = row["cursor"] as Int64?, let idData = row["id"] as Data?,
            let body = row["body"] as Data?
        else { return nil }
        let json =
            (try? StrictJSON.parse([UInt8](body), maximumBytes: body.count))
            ?? .string(String(decoding: body, as: UTF8.self))
        return InboxMessage(
            cursor: cursor,
            id: Hex.encode([UInt8](idData)),
            from: row["sender"],
            intent: row["intent"],
            body: json,
            inReplyTo: (row["in_reply_to"] as Data?).map { Hex.encode([UInt8]($0)) },
            createdAt: APITime.format(Timestamp(milliseconds: row["created_ms"])),
            receivedAt: APITime.format(Timestamp(milliseconds: row["received_ms"])),
            expiresAt: (row["expires_ms"] as Int64?).map { APITime.format(Timestamp(milliseconds: $0)) }
        )
    }
}
