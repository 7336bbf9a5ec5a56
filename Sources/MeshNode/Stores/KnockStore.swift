import Foundation
import GRDB
import MeshCore
import MeshPeer

/// A knock this node sent or received, as stored in `node_knocks`.
struct StoredKnock: Hashable, Sendable {
    enum Direction: String, Sendable { case outgoing, incoming }
    /// `pending` (sent, no answer yet), `held` (waiting for the owner), `accepted`, `rejected`.
    enum State: String, Sendable { case pending, held, accepted, rejected }

    var id: String
    var direction: Direction
    var peer: String
    var peerKey: Ed25519.PublicKey
    var intent: String
    var purpose: String
    var introducedBy: String?
    var peerRelays: [String]
    var state: State
    var reason: String?
    /// Which policy rule decided (for the audit trail).
    var rule: String?
    var byteCount: Int
    var createdAt: Timestamp
    var decidedAt: Timestamp?

    var summary: KnockSummary {
        KnockSummary(
            id: id,
            direction: direction.rawValue,
            peer: peer,
            intent: intent,
            purpose: purpose,
            state: state.rawValue,
            reason: reason,
            introducedBy: introducedBy,
            createdAt: APITime.format(createdAt),
            decidedAt: decidedAt.map(APITime.format)
        )
    }
}

/// Knocks in `node_knocks`. The in-memory `PendingKnocks` decides the bounds; this table is their durable copy.
enum KnockStore {
    static func registerMigrations(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("knocks-v1") { db in
            try db.create(table: "node_knocks") { table in
                table.column("id", .text).primaryKey()
                table.column("direction", .text).notNull()
                table.column("peer", .text).notNull()
                table.column("peer_key", .blob).notNull()
                table.column("intent", .text).notNull()
                table.column("purpose", .text).notNull()
                table.column("introduced_by", .text)
                table.column("peer_relays", .text).notNull()
                table.column("state", .text).notNull()
                table.column("reason", .text)
                table.column("rule", .text)
                table.column("bytes", .integer).notNull()
                table.column("created_ms", .integer).notNull()
                table.column("decided_ms", .integer)
            }
            try db.create(index: "node_knocks_by_peer", on: "node_knocks", columns: ["peer", "direction"])
        }
    }

    static func insert(_ knock: StoredKnock, _ db: Database) throws {
        try db.executeCached(
            sql: """
                INSERT OR REPLACE INTO node_knocks (id, direction, peer, peer_key, intent, purpose, introduced_by,
                    peer_relays, state, reason, rule, bytes, created_ms, decided_ms)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                knock.id, knock.direction.rawValue, knock.peer, Data(knock.peerKey.rawRepresentation), knock.intent,
                knock.purpose, knock.introducedBy, ContactStore.encodeHomes(knock.peerRelays), knock.state.rawValue,
                knock.reason, knock.rule, knock.byteCount, knock.createdAt.millisecondsSinceEpoch,
                knock.decidedAt?.millisecondsSinceEpoch,
            ]
        )
    }

    static func knock(id: String, _ db: Database) throws -> StoredKnock? {
        try Row.decodeOne(cached: db, sql: "SELECT * FROM node_knocks WHERE id = ?", arguments: [id], decode)
    }

    /// The newest outgoing knock to `peer` that is still waiting for an answer.
    static func pendingOutgoing(to peer: String, _ db: Database) throws -> StoredKnock? {
        try Row.decodeOne(
            cached: db,
            sql: """
                SELECT * FROM node_knocks WHERE peer = ? AND direction = 'outgoing' AND state = 'pending'
                ORDER BY created_ms DESC LIMIT 1
                """,
            arguments: [peer],
            decode
        )
    }

    static func held(_ db: Database) throws -> [StoredKnock] {
        try Row.decodeAll(cached: db, sql: "SELECT * FROM node_knocks WHERE state = 'held' ORDER BY created_ms", decode)
    }

    /// The newest `limit` knocks in both directions.
    static func recent(limit: Int, _ db: Database) throws -> [StoredKnock] {
        try Row.decodeAll(
            cached: db,
            sql: "SELECT * FROM node_knocks ORDER BY created_ms DESC LIMIT ?",
            arguments: [limit],
            decode
        )
    }

    static func countHeld(_ db: Database) throws -> Int {
        try Int.fetchOne(cached: db, sql: "SELECT COUNT(*) FROM node_knocks WHERE state = 'held'") ?? 0
    }

    static func decide(
        id: String,
        state: StoredKnock.State,
        reason: String?,
        rule: String?,
        now: Timestamp,
        _ db: Database
    ) throws {
        try db.executeCached(
            sql: "UPDATE node_knocks SET state = ?, reason = ?, rule = COALESCE(?, rule), decided_ms = ? WHERE id = ?",
            arguments: [state.rawValue, reason, rule, now.millisecondsSinceEpoch, id]
        )
    }

    static func delete(ids: [String], _ db: Database) throws {
        for id in ids { try db.executeCached(sql: "DELETE FROM node_knocks WHERE id = ?", arguments: [id]) }
    }

    /// A row of `node_knocks`, or nil (noted by `UnreadableRows`) when it cannot be read.
    static func decode(_ row: Row) -> StoredKnock? { UnreadableRows.read(row, table: "node_knocks", parse) }

    static func parse(_ row: Row) -> StoredKnock? {
        guard let keyData = row["peer_key"] as Data?,
            let key = try? Ed25519.PublicKey(rawRepresentation: [UInt8](keyData)),
            let direction = StoredKnock.Direction(rawValue: row["direction"]),
            let state = StoredKnock.State(rawValue: row["state"]),
            let peerRelays = ContactStore.decodeHomes(row["peer_relays"])
        else { return nil }
        return StoredKnock(
            id: row["id"],
            direction: direction,
            peer: row["peer"],
            peerKey: key,
            intent: row["intent"],
            purpose: row["purpose"],
            introducedBy: row["introduced_by"],
            peerRelays: peerRelays,
            state: state,
            reason: row["reason"],
            rule: row["rule"],
            byteCount: row["bytes"],
            createdAt: Timestamp(milliseconds: row["created_ms"]),
            decidedAt: (row["decided_ms"] as Int64?).map(Timestamp.init(milliseconds:))
        )
    }
}
