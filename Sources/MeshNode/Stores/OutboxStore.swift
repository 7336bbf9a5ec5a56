import Foundation
import GRDB
import MeshCore
import MeshPeer
import RelayFallback

/// One envelope waiting to leave, or kept until the recipient's receipt: the ciphertext is made once, in the
/// transaction that stored it, and every resend carries the same bytes under the same envelope ID, so relays and
/// the recipient recognise a resend.
struct OutboxEntry: Hashable, Sendable {
    /// `message`, `knock` and `decision` wait for the recipient's receipt; a `receipt` is sent once and forgotten
    /// (a lost receipt is replaced when the peer resends and gets a fresh one).
    enum Kind: String, Sendable { case message, knock, decision, receipt, signal }
    /// `queued` (never accepted by a relay), `relayed` (a relay holds it; resent until the receipt), `delivered`,
    /// `expired`, `failed`.
    enum State: String, Sendable { case queued, relayed, delivered, expired, failed }

    var id: MessageID
    var peer: String
    var peerKey: Ed25519.PublicKey
    var kind: Kind
    var intent: String
    var payload: [UInt8]
    var state: State
    var createdAt: Timestamp
    var expiresAt: Timestamp
    var nextAttemptAt: Timestamp
    var attempts: Int
    var lastError: String?
    var deliveredAt: Timestamp?
    /// Relays to try, best first (the recipient's homes).
    var relays: [String]
    /// The recipient's receipts for later messages showed this one missing: it is resent on a short clock.
    var fillsGap = false
    /// The envelope variant (`MessageID.envelopeID(variant:)`) of the current attempt, and whether a relay has
    /// answered for it (`stored`, `forwarded` or `duplicate`): only then does the next send take a new one.
    var variant = 0
    var variantAnswered = false

    var awaitsReceipt: Bool { kind != .receipt }

    /// The envelope variant the next send travels under. The current one until a relay has answered for it, so a
    /// send that never reached a relay spends nothing; then the next, up to `MessageID.envelopeVariants` while the
    /// recipient may be offline (each is a copy a relay may keep for it), or `gapEnvelopeVariants` while its
    /// receipts show it online and missing this message. Past the bound the last variant is reused: the relay
    /// answers `duplicate` and hands on the copy it holds when the recipient reconnects.
    var nextVariant: Int {
        guard variantAnswered else { return variant }
        let bound = fillsGap ? MessageID.gapEnvelopeVariants : MessageID.envelopeVariants
        return max(variant, min(variant + 1, bound - 1))
    }

    var sent: SentMessage {
        SentMessage(
            id: id.hex,
            to: peer,
            intent: intent,
            state: state.rawValue,
            createdAt: APITime.format(createdAt),
            expiresAt: APITime.format(expiresAt),
            deliveredAt: deliveredAt.map(APITime.format),
            attempts: attempts,
            lastError: lastError
        )
    }
}

/// The durable outbox in `node_outbox`.
enum OutboxStore {
    static func registerMigrations(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("outbox-v1") { db in
            try db.create(table: "node_outbox") { table in
                table.column("id", .blob).primaryKey()
                table.column("peer", .text).notNull()
                table.column("peer_key", .blob).notNull()
                table.column("kind", .text).notNull()
                table.column("intent", .text).notNull()
                table.column("payload", .blob).notNull()
                table.column("state", .text).notNull()
                table.column("created_ms", .integer).notNull()
                table.column("expires_ms", .integer).notNull()
                table.column("next_attempt_ms", .integer).notNull()
                table.column("attempts", .integer).notNull()
                table.column("last_error", .text)
                table.column("delivered_ms", .integer)
                table.column("relays", .text).notNull()
            }
            try db.create(index: "node_outbox_due", on: "node_outbox", columns: ["state", "next_attempt_ms"])
        }
        // Resends go out under new envelope IDs (`MessageID.envelopeID(variant:)`): the relay's answers name the
        // envelope, so the entry remembers the one in flight; and when it was last handed to a relay, so a gap
        // the recipient's receipts reveal is filled at once but not by a resend per receipt.
        migrator.registerMigration("outbox-v2-envelopes") { db in
            // `plain`: a message's session payload, so a resend is encrypted afresh (see `NodeLedger.reseal`).
            try db.alter(table: "node_outbox") { table in
                table.add(column: "envelope_id", .blob)
                table.add(column: "attempted_ms", .integer)
                table.add(column: "plain", .blob)
                table.add(column: "gap", .boolean).notNull().defaults(to: false)
            }
            try db.execute(sql: "UPDATE node_outbox SET envelope_id = id")
            try db.create(index: "node_outbox_envelope", on: "node_outbox", columns: ["envelope_id"])
        }
        // Which path last carried the entry: when a direct channel closes, exactly what it carried without a receipt
        // is sent again through the relay (what a relay holds is not).
        migrator.registerMigration("outbox-v3-path") { db in
            try db.alter(table: "node_outbox") { table in
                table.add(column: "path", .text).notNull().defaults(to: "relay")
            }
        }
        // The envelope variant in use and whether a relay answered for it: a send that never reached a relay (none
        // logged in) spends no variant, where counting attempts spent the five while a relay was unreachable.
        migrator.registerMigration("outbox-v4-variants") { db in
            try db.alter(table: "node_outbox") { table in
                table.add(column: "variant", .integer).notNull().defaults(to: 0)
                table.add(column: "variant_answered", .boolean).notNull().defaults(to: false)
            }
        }
    }

    /// The entry went out on the direct channel: a receipt or a signal is done; a message waits for its receipt and
    /// is resent on the relay clock if none comes.
    static func sentDirect(id: MessageID, kind: OutboxEntry.Kind, next: Timestamp, _ db: Database) throws {
        if kind == .receipt || kind == .signal {
            try delete(id: id, db)
            return
        }
        try db.executeCached(
            sql: """
                UPDATE node_outbox SET state = 'relayed', path = 'direct', next_attempt_ms = ?, last_error = NULL
                WHERE id = ? AND state IN ('queued', 'relayed')
                """,
            arguments: [next.millisecondsSinceEpoch, Data(id.bytes)]
        )
    }

    /// The direct channel to `peer` closed: what it carried without a receipt is due at once (on the relay now).
    /// Returns how many entries that is.
    @discardableResult
    static func requeueDirect(peer: String, now: Timestamp, _ db: Database) throws -> Int {
        try db.executeCached(
            sql: """
                UPDATE node_outbox SET next_attempt_ms = ?, path = 'relay'
                WHERE peer = ? AND path = 'direct' AND state IN ('queued', 'relayed')
                """,
            arguments: [now.millisecondsSinceEpoch, peer]
        )
        return db.changesCount
    }

    /// `plain` is the session payload of a message that waits for its receipt (nil for the rest).
    static func insert(_ entry: OutboxEntry, plain: [UInt8]? = nil, _ db: Database) throws {
        try db.executeCached(
            sql: """
                INSERT INTO node_outbox (id, envelope_id, plain, peer, peer_key, kind, intent, payload, state,
                    created_ms, expires_ms, next_attempt_ms, attempts, last_error, delivered_ms, relays)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                Data(entry.id.bytes), Data(entry.id.bytes), plain.map { Data($0) }, entry.peer,
                Data(entry.peerKey.rawRepresentation),
                entry.kind.rawValue,
                entry.intent, Data(entry.payload), entry.state.rawValue, entry.createdAt.millisecondsSinceEpoch,
                entry.expiresAt.millisecondsSinceEpoch, entry.nextAttemptAt.millisecondsSinceEpoch, entry.attempts,
                entry.lastError, entry.deliveredAt?.millisecondsSinceEpoch, ContactStore.encodeHomes(entry.relays),
            ]
        )
    }

    static func entry(id: MessageID, _ db: Database) throws -> OutboxEntry? {
        try Row.decodeOne(
            cached: db,
            sql: "SELECT * FROM node_outbox WHERE id = ?",
            arguments: [Data(id.bytes)],
            decode
        )
    }

    /// Entries due for a (re)send at `now`, oldest first.
    static func due(now: Timestamp, limit: Int, _ db: Database) throws -> [OutboxEntry] {
        try Row.decodeAll(
            cached: db,
            sql: """
                SELECT * FROM node_outbox WHERE state IN ('queued', 'relayed') AND next_attempt_ms <= ?
                ORDER BY created_ms, rowid LIMIT ?
                """,
            arguments: [now.millisecondsSinceEpoch, limit],
            decode
        )
    }

    /// The earliest instant something becomes due, or nil when nothing waits.
    static func nextDue(_ db: Database) throws -> Timestamp? {
        try Int64.fetchOne(
            cached: db,
            sql: "SELECT MIN(next_attempt_ms) FROM node_outbox WHERE state IN ('queued', 'relayed')"
        ).map(Timestamp.init(milliseconds:))
    }

    static func countPending(_ db: Database) throws -> Int {
        try Int.fetchOne(cached: db, sql: "SELECT COUNT(*) FROM node_outbox WHERE state IN ('queued', 'relayed')") ?? 0
    }

    static func recordAttempt(id: MessageID, next: Timestamp, error: String?, _ db: Database) throws {
        try db.executeCached(
            sql: """
                UPDATE node_outbox SET attempts = attempts + 1, next_attempt_ms = ?, last_error = ?
                WHERE id = ?
                """,
            arguments: [next.millisecondsSinceEpoch, error, Data(id.bytes)]
        )
    }

    /// Claims an entry for a send: the envelope ID this attempt uses, when it happens and when the next is due.
    static func claim(id: MessageID, variant: Int, next: Timestamp, now: Timestamp, _ db: Database) throws {
        try db.executeCached(
            sql: """
                UPDATE node_outbox SET attempts = attempts + 1, next_attempt_ms = ?, last_error = NULL,
                    envelope_id = ?, attempted_ms = ?, variant = ?, variant_answered = 0
                WHERE id = ?
                """,
            arguments: [
                next.millisecondsSinceEpoch, Data(id.envelopeID(variant: variant).bytes), now.millisecondsSinceEpoch,
                variant, Data(id.bytes),
            ]
        )
    }

    /// A relay answered for the entry's current envelope: its next send takes a new variant.
    static func variantAnswered(id: MessageID, _ db: Database) throws {
        try db.executeCached(
            sql: "UPDATE node_outbox SET variant_answered = 1 WHERE id = ?",
            arguments: [Data(id.bytes)]
        )
    }

    /// A message's session payload, kept for resends (nil once settled, or for other kinds).
    static func plain(id: MessageID, _ db: Database) throws -> [UInt8]? {
        try Data.fetchOne(
            cached: db,
            sql: "SELECT plain FROM node_outbox WHERE id = ? AND state IN ('queued', 'relayed')",
            arguments: [Data(id.bytes)]
        ).map { [UInt8]($0) }
    }

    static func replacePayload(id: MessageID, _ payload: [UInt8], _ db: Database) throws {
        try db.executeCached(
            sql: "UPDATE node_outbox SET payload = ? WHERE id = ?",
            arguments: [Data(payload), Data(id.bytes)]
        )
    }

    /// What a relay's answer needs of the entry whose current attempt travels as `envelopeID`: its ID, kind and
    /// state, read without the payload or the full row's parse (every relay answer reads one; issue 11).
    static func settlement(
        envelopeID: EnvelopeID,
        _ db: Database
    ) throws -> (id: MessageID, kind: OutboxEntry.Kind, state: OutboxEntry.State)? {
        guard
            let row = try Row.fetchOne(
                cached: db,
                sql: "SELECT id, kind, state FROM node_outbox WHERE envelope_id = ?",
                arguments: [Data(envelopeID.bytes)]
            )
        else { return nil }
        return UnreadableRows.read(row, table: "node_outbox") { row in
            guard let idData = row[0] as Data?, let id = try? MessageID(bytes: [UInt8](idData)),
                let kind = OutboxEntry.Kind(rawValue: row[1]), let state = OutboxEntry.State(rawValue: row[2])
            else { return nil }
            return (id, kind, state)
        }
    }

    /// A receipt for a message to `peer` shows the recipient got a later one: messages to `peer` created before
    /// `before` that still wait for their receipt are most likely lost, and the recipient holds back what follows
    /// them. Each is marked as filling a gap and made due `quiet` after its last send (at once if that has
    /// passed) instead of at its 30 s retry: fast retransmit. Returns how many.
    @discardableResult
    static func resendGaps(
        peer: String,
        before: Timestamp,
        quiet: Duration,
        now: Timestamp,
        _ db: Database
    ) throws
        -> Int
    {
        let quietMs = quiet.components.seconds * 1_000 + quiet.components.attoseconds / 1_000_000_000_000_000
        try db.executeCached(
            sql: """
                UPDATE node_outbox SET gap = 1, next_attempt_ms = MAX(?, COALESCE(attempted_ms, 0) + ?)
                WHERE peer = ? AND kind = 'message' AND state = 'relayed' AND created_ms < ?
                    AND next_attempt_ms > MAX(?, COALESCE(attempted_ms, 0) + ?)
                """,
            arguments: [
                now.millisecondsSinceEpoch, quietMs, peer, before.millisecondsSinceEpoch, now.millisecondsSinceEpoch,
                quietMs,
            ]
        )
        return db.changesCount
    }

    static func setState(id: MessageID, _ state: OutboxEntry.State, at now: Timestamp? = nil, _ db: Database) throws {
        try db.executeCached(
            sql: "UPDATE node_outbox SET state = ?, delivered_ms = COALESCE(?, delivered_ms) WHERE id = ?",
            arguments: [state.rawValue, now?.millisecondsSinceEpoch, Data(id.bytes)]
        )
    }

    /// Marks an entry delivered when the recipient's receipt names it; returns it if it was still open.
    static func markDelivered(id: MessageID, from peer: String, now: Timestamp, _ db: Database) throws -> OutboxEntry? {
        guard var entry = try entry(id: id, db), entry.peer == peer, entry.state == .queued || entry.state == .relayed
        else { return nil }
        try setState(id: id, .delivered, at: now, db)
        // The plaintext was kept only for resends.
        try db.executeCached(sql: "UPDATE node_outbox SET plain = NULL WHERE id = ?", arguments: [Data(id.bytes)])
        entry.state = .delivered
        entry.deliveredAt = now
        return entry
    }

    static func delete(id: MessageID, _ db: Database) throws {
        try db.executeCached(sql: "DELETE FROM node_outbox WHERE id = ?", arguments: [Data(id.bytes)])
    }

    /// How long a delivered, expired or failed entry stays readable (`GET /v1/messages/sent/{id}`).
    static let settledMemory: Duration = .seconds(7 * 24 * 3_600)

    static func forgetSettled(before: Timestamp, _ db: Database) throws {
        try db.executeCached(
            sql: "DELETE FROM node_outbox WHERE state IN ('delivered', 'expired', 'failed') AND created_ms < ?",
            arguments: [before.millisecondsSinceEpoch]
        )
    }

    static func hasExpired(now: Timestamp, _ db: Database) throws -> Bool {
        try Bool.fetchOne(
            cached: db,
            sql: "SELECT EXISTS (SELECT 1 FROM node_outbox WHERE state IN ('queued', 'relayed') AND expires_ms <= ?)",
            arguments: [now.millisecondsSinceEpoch]
        ) ?? false
    }

    /// Entries past their expiry that were never delivered become `expired`; returns them for the events.
    static func expire(now: Timestamp, _ db: Database) throws -> [OutboxEntry] {
        let rows = try Row.decodeAll(
            cached: db,
            sql: "SELECT * FROM node_outbox WHERE state IN ('queued', 'relayed') AND expires_ms <= ? LIMIT 256",
            arguments: [now.millisecondsSinceEpoch],
            decode
        )
        for entry in rows {
            // A receipt that never left is simply dropped; everything else is reported.
            if entry.kind == .receipt || entry.kind == .signal {
                try delete(id: entry.id, db)
            } else {
                try setState(id: entry.id, .expired, db)
            }
        }
        return rows.filter { $0.kind != .receipt && $0.kind != .signal }
    }

    /// A row of `node_outbox`, or nil (noted by `UnreadableRows`) when it cannot be read.
    static func decode(_ row: Row) -> OutboxEntry? { UnreadableRows.read(row, table: "node_outbox", parse) }

    static func parse(_ row: Row) -> OutboxEntry? {
        guard let idData = row["id"] as Data?, let id = try? MessageID(bytes: [UInt8](idData)),
            let keyData = row["peer_key"] as Data?,
            let key = try? Ed25519.PublicKey(rawRepresentation: [UInt8](keyData)),
            let kind = OutboxEntry.Kind(rawValue: row["kind"]),
            let state = OutboxEntry.State(rawValue: row["state"]),
            let payload = row["payload"] as Data?,
            let relays = ContactStore.decodeHomes(row["relays"])
        else { return nil }
        return OutboxEntry(
            id: id,
            peer: row["peer"],
            peerKey: key,
            kind: kind,
            intent: row["intent"],
            payload: [UInt8](payload),
            state: state,
            createdAt: Timestamp(milliseconds: row["created_ms"]),
            expiresAt: Timestamp(milliseconds: row["expires_ms"]),
            nextAttemptAt: Timestamp(milliseconds: row["next_attempt_ms"]),
            attempts: row["attempts"],
            lastError: row["last_error"],
            deliveredAt: (row["delivered_ms"] as Int64?).map(Timestamp.init(milliseconds:)),
            relays: relays,
            fillsGap: (row["gap"] as Bool?) ?? false,
            variant: (row["variant"] as Int?) ?? 0,
            variantAnswered: (row["variant_answered"] as Bool?) ?? false
        )
    }
}
