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
        let bytes = MeshEnvelope.session(SessionFrame(sender: identity.publicKey, ratchet: sealed)).encoded()
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
        try OutboxStore.insert(entry, db)
        return entry
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
