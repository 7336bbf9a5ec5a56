import GRDB
import MeshCore
import MeshPeer
import Ratchet
import RatchetStore

/// The node's transactions: each function runs inside one SQLite write transaction the caller opened, so its
/// ratchet step and the rows it implies (the outbox entry it encrypted, the inbox row it decrypted, the receipt
/// it owes) commit together or not at all. No actor state is touched here; results go back to the actor, which
/// emits events and acknowledges relays only after the commit.
struct NodeLedger: Sendable {
    let identity: AgentIdentity
    let ratchet: RatchetStore
    let messageExpiry: Duration

    /// Encrypts `payload` for `peer` and stores it in the outbox under `id`.
    @discardableResult
    func enqueue(
        _ payload: SessionPayload,
        id: MessageID,
        kind: OutboxEntry.Kind,
        intent: String,
        to peer: (did: String, key: Ed25519.PublicKey),
        relays: [String],
        now: Timestamp,
        expiresAt: Timestamp? = nil,
        _ db: Database
    ) throws -> OutboxEntry {
        var random = SystemRandom()
        let sealed = try ratchet.encrypt(payload.encoded(), to: peer.key, random: &random, in: db)
        let bytes = MeshEnvelope.session(
            SessionFrame(sender: identity.publicKey, messageID: id, ratchet: sealed)
        ).encoded()
        let entry = OutboxEntry(
            id: id,
            peer: peer.did,
            peerKey: peer.key,
            kind: kind,
            intent: intent,
            payload: bytes,
            state: .queued,
            createdAt: now,
            expiresAt: expiresAt ?? now + messageExpiry,
            nextAttemptAt: now,
            attempts: 0,
            lastError: nil,
            deliveredAt: nil,
            relays: relays
        )
        // A message keeps its plaintext until its receipt, so a resend can be encrypted afresh (`reseal`).
        try OutboxStore.insert(entry, plain: kind == .message ? payload.encoded() : nil, db)
        return entry
    }

    /// A resend of a message, encrypted again with the session as it is now; same message ID and conversation
    /// sequence, so the recipient deduplicates and orders it like the first copy. A resend must not reuse the first
    /// ciphertext: by the time it is needed the recipient may have dropped that chain's skipped keys (bounded per
    /// session), or replaced the session, and the old ciphertext would never open. Returns the new envelope bytes,
    /// or nil when the entry keeps no plaintext.
    func reseal(_ entry: OutboxEntry, _ db: Database) throws -> [UInt8]? {
        guard entry.kind == .message, let plain = try OutboxStore.plain(id: entry.id, db) else { return nil }
        var random = SystemRandom()
        let sealed = try ratchet.encrypt(plain, to: entry.peerKey, random: &random, in: db)
        let bytes = MeshEnvelope.session(
            SessionFrame(sender: identity.publicKey, messageID: entry.id, ratchet: sealed)
        ).encoded()
        try OutboxStore.replacePayload(id: entry.id, bytes, db)
        return bytes
    }

    /// A receipt for envelopes we processed, sent once (resent only when the peer resends).
    func enqueueReceipt(
        for ids: [MessageID],
        to peer: (did: String, key: Ed25519.PublicKey),
        relays: [String],
        now: Timestamp,
        _ db: Database
    ) throws {
        var random = SystemRandom()
        try enqueue(
            .receipt(ids),
            id: MessageID.random(using: &random),
            kind: .receipt,
            intent: Intent.receipt,
            to: peer,
            relays: relays,
            now: now,
            expiresAt: now + .seconds(24 * 3600),
            db
        )
    }

    /// Stores a message for a contact: its conversation sequence number, encrypted, in the outbox.
    func send(
        intent: String,
        body: [UInt8],
        inReplyTo: MessageID?,
        expiresAt: Timestamp,
        to contact: Contact,
        now: Timestamp,
        _ db: Database
    ) throws -> OutboxEntry {
        var random = SystemRandom()
        let id = MessageID.random(using: &random)
        let sequence = try ContactStore.takeSendSequence(did: contact.did, db)
        let message = try AgentMessage(
            id: id,
            sequence: sequence,
            createdAt: now,
            expiresAt: expiresAt,
            inReplyTo: inReplyTo,
            intent: intent,
            body: body
        )
        try ContactStore.touch(did: contact.did, now: now, db)
        return try enqueue(
            .message(message),
            id: id,
            kind: .message,
            intent: intent,
            to: (contact.did, contact.publicKey),
            relays: contact.homes,
            now: now,
            expiresAt: expiresAt,
            db
        )
    }
}
