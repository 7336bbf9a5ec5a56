import Foundation
import GRDB
import MeshCore
import MeshPeer

/// One invite this node's owner made: its secret (to derive the slot), a label for the owner, its expiry and,
/// once revoked, when. `id` is `InviteSlot.id`, the public short name of its DHT slot.
struct IssuedInvite: Sendable {
    var id: String
    var invite: Invite
    var label: String?
    var createdAt: Timestamp
    var revokedAt: Timestamp?
}

/// Invites in `invite_issued` (made here) and `invite_held` (resolved here, so a private agent found once can be
/// found again to knock and to send). The file is the node's database (mode 0600), which already holds message
/// bodies and sealed session state; an invite secret only finds the agent, it does not speak for it.
enum InviteStore {
    /// At most this many unrevoked invites: each one is a record the node republishes to k storers.
    static let maximumActive = 32
    /// Invites held from others, newest kept.
    static let maximumHeld = 256

    static func registerMigrations(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("invite-v1") { db in
            try db.create(table: "invite_issued") { table in
                table.column("id", .text).primaryKey()
                table.column("invite", .text).notNull()
                table.column("label", .text)
                table.column("created_ms", .integer).notNull()
                table.column("revoked_ms", .integer)
            }
            try db.create(table: "invite_held") { table in
                table.column("did", .text).primaryKey()
                table.column("invite", .text).notNull()
                table.column("used_ms", .integer).notNull()
            }
        }
    }

    static func insert(_ issued: IssuedInvite, _ db: Database) throws {
        try db.execute(
            sql: "INSERT INTO invite_issued (id, invite, label, created_ms) VALUES (?, ?, ?, ?)",
            arguments: [issued.id, issued.invite.text, issued.label, issued.createdAt.millisecondsSinceEpoch]
        )
    }

    static func all(_ db: Database) throws -> [IssuedInvite] {
        try Row.fetchAll(db, sql: "SELECT * FROM invite_issued ORDER BY created_ms, id").compactMap(decode)
    }

    static func invite(id: String, _ db: Database) throws -> IssuedInvite? {
        try Row.fetchOne(db, sql: "SELECT * FROM invite_issued WHERE id = ?", arguments: [id]).flatMap(decode)
    }

    /// Unrevoked and unexpired invites: the slots to publish.
    static func active(now: Timestamp, _ db: Database) throws -> [IssuedInvite] {
        try all(db).filter { $0.revokedAt == nil && ($0.invite.expiresAt.map { $0 > now } ?? true) }
    }

    static func countActive(now: Timestamp, _ db: Database) throws -> Int { try active(now: now, db).count }

    /// Forgets invites revoked or expired before `instant` (their tombstones have long expired too), so the table
    /// holds at most `maximumActive` live invites and what ended recently.
    static func forgetEnded(before instant: Timestamp, _ db: Database) throws {
        let cutoff = instant.millisecondsSinceEpoch
        try db.execute(sql: "DELETE FROM invite_issued WHERE revoked_ms < ?", arguments: [cutoff])
        for issued in try all(db) where issued.revokedAt == nil {
            if let expiry = issued.invite.expiresAt, expiry < instant {
                try db.execute(sql: "DELETE FROM invite_issued WHERE id = ?", arguments: [issued.id])
            }
        }
    }

    /// Marks an invite revoked; false when it was not found or already revoked.
    static func revoke(id: String, now: Timestamp, _ db: Database) throws -> Bool {
        try db.execute(
            sql: "UPDATE invite_issued SET revoked_ms = ? WHERE id = ? AND revoked_ms IS NULL",
            arguments: [now.millisecondsSinceEpoch, id]
        )
        return db.changesCount > 0
    }

    /// Remembers the invite that found `did`, replacing an older one; the oldest go past `maximumHeld`.
    static func hold(_ invite: Invite, now: Timestamp, _ db: Database) throws {
        try db.execute(
            sql: "INSERT OR REPLACE INTO invite_held (did, invite, used_ms) VALUES (?, ?, ?)",
            arguments: [invite.did, invite.text, now.millisecondsSinceEpoch]
        )
        try db.execute(
            sql: """
                DELETE FROM invite_held WHERE did NOT IN
                (SELECT did FROM invite_held ORDER BY used_ms DESC LIMIT ?)
                """,
            arguments: [maximumHeld]
        )
    }

    static func held(did: String, _ db: Database) throws -> Invite? {
        try String.fetchOne(db, sql: "SELECT invite FROM invite_held WHERE did = ?", arguments: [did])
            .flatMap { try? Invite.parse($0) }
    }

    /// A row of `invite_issued`, or nil (noted by `UnreadableRows`) when it cannot be read.
    private static func decode(_ row: Row) -> IssuedInvite? { UnreadableRows.read(row, table: "invite_issued", parse) }

    private static func parse(_ row: Row) -> IssuedInvite? {
        guard let text = row["invite"] as String?, let invite = try? Invite.parse(text) else { return nil }
        let revoked = row["revoked_ms"] as Int64?
        return IssuedInvite(
            id: row["id"],
            invite: invite,
            label: row["label"],
            createdAt: Timestamp(milliseconds: row["created_ms"]),
            revokedAt: revoked.map { Timestamp(milliseconds: $0) }
        )
    }
}
