import Foundation
import GRDB
import MeshCore
import MeshPeer
import Ratchet
import RatchetStore

/// What one session envelope did, for the actor to report after the commit.
enum SessionOutcome: Sendable {
    /// Seen before: a receipt was queued again when the sender waits for one.
    case duplicate
    /// From an agent that is not a contact and is not answering our knock: dropped unread.
    case notAccepted(String)
    /// A message was stored; these became visible to the agent (in conversation order).
    case messages([InboxMessage])
    /// A message that fails its intent's schema: receipted (so the sender stops) but not shown.
    case invalidMessage(String)
    /// Receipts for envelopes we sent.
    case receipts([OutboxEntry])
    /// The answer to one of our knocks.
    case decision(StoredKnock)
    case ignored(String)
    /// A `capability.query`, shown to the agent like any message and answered by the node with the full card.
    case answeredQuery([InboxMessage], OutboxEntry)
    /// A direct-path signal from a contact, for the path manager (no receipt: signals are never resent).
    case pathSignal(PathPeer, PathSignal)
}

extension NodeLedger {
    /// Decrypts a session envelope from a contact (or from an agent answering our knock), stores what it carries
    /// and queues the receipt it earns: one commit.
    func receiveSession(
        _ frame: SessionFrame,
        id: MessageID,
        servedCard: JSONValue,
        now: Timestamp,
        _ db: Database
    ) throws -> SessionOutcome {
        var receipts = OwedReceipts()
        let outcome = try receiveSession(frame, id: id, servedCard: servedCard, now: now, receipts: &receipts, db)
        try receipts.enqueue(with: self, now: now, db)
        return outcome
    }

    /// The same, with the receipts it earns added to `receipts` (a batch sends one receipt per peer).
    func receiveSession(
        _ frame: SessionFrame,
        id: MessageID,
        servedCard: JSONValue,
        now: Timestamp,
        receipts: inout OwedReceipts,
        path: String = "relay",
        _ db: Database
    ) throws -> SessionOutcome {
        let did = frame.sender.did
        let contact = try ContactStore.contact(key: frame.sender, db)
        // Our pending knock on the sender matters only when the sender is not a contact yet, or when this is its
        // answer (looked up there): not on every message of a conversation, where the query cost a tenth of the
        // recipient's CPU (issue 11).
        let ourKnock = contact == nil ? try KnockStore.pendingOutgoing(to: did, db) : nil
        if try InboxStore.wasReceived(sender: frame.sender, id: id, db) {
            // The sender did not get our receipt: send another (only to those we talk to).
            if let contact {
                receipts.owe(id, to: (did, frame.sender), relays: contact.homes)
            }
            return .duplicate
        }
        guard contact != nil || ourKnock != nil else {
            return .notAccepted("\(did) is not a contact")
        }
        var random = SystemRandom()
        let plaintext = try ratchet.receive(
            frame.ratchet,
            from: frame.sender,
            identity: identity,
            now: now,
            random: &random,
            in: db
        )
        let payload = try SessionPayload.decode(plaintext)
        try InboxStore.markReceived(sender: frame.sender, id: id, now: now, db)
        switch payload {
        case .message(let message):
            // The frame's clear ID is a hint for deduplication; the authenticated one must agree, or a relay
            // could file one message under another's ID and so suppress the other as a "duplicate".
            guard message.id == id else {
                throw NodeLedgerError("the frame's message ID \(id) does not match the message's own \(message.id)")
            }
            guard let contact else { return .notAccepted("\(did) sent a message before its knock was accepted") }
            receipts.owe(id, to: (did, frame.sender), relays: contact.homes)
            do {
                try Intent.validateName(message.intent)
                // Strict (no duplicate keys, bounded depth) and direct: Foundation's decoder into `JSONValue` tries
                // each type in turn and builds an error for every miss, which dominated the receive path's profile.
                let body = try StrictJSON.parse(message.body, maximumBytes: AgentMessage.maximumBodyBytes)
                try IntentSchemas.validate(intent: message.intent, body: body)
                try NodeLedger.checkCardAnswer(message, body: body, from: did, db)
            } catch {
                return .invalidMessage("\(message.intent) from \(did): \(error)")
            }
            try ContactStore.touch(did: did, now: now, db)
            let shown = try InboxStore.insert(message, from: contact, now: now, db)
            try auditMessage(
                .messageReceived,
                peer: did,
                intent: message.intent,
                body: message.body,
                path: path,
                now: now,
                db
            )
            if message.intent == Intent.capabilityQuery {
                return .answeredQuery(shown, try answer(message, from: contact, servedCard: servedCard, now: now, db))
            }
            return .messages(shown)
        case .receipt(let ids):
            var settled: [OutboxEntry] = []
            for receipted in ids {
                if let entry = try OutboxStore.markDelivered(id: receipted, from: did, now: now, db) {
                    settled.append(entry)
                }
            }
            // Fast retransmit: an older message still without its receipt holds back everything after it at the
            // recipient; resend it now rather than at its 30 s (or later) retry.
            if let latest = settled.filter({ $0.kind == .message }).map(\.createdAt).max() {
                try OutboxStore.resendGaps(
                    peer: did,
                    before: latest,
                    quiet: NodeLedger.gapResendQuiet,
                    now: now,
                    db
                )
            }
            return .receipts(settled)
        case .knockDecision(let notice):
            guard var knock = try ourKnock ?? KnockStore.pendingOutgoing(to: did, db), knock.id == notice.knockID.hex
            else {
                return .ignored("a decision for a knock we are not waiting on")
            }
            knock.state = notice.accepted ? .accepted : .rejected
            knock.reason = notice.reason
            knock.decidedAt = now
            try KnockStore.decide(id: knock.id, state: knock.state, reason: notice.reason, rule: nil, now: now, db)
            let homes = notice.recipientRelays.isEmpty ? knock.peerRelays : notice.recipientRelays
            if notice.accepted {
                try ContactStore.upsert(did: did, key: frame.sender, name: nil, homes: homes, now: now, db)
            }
            // The knock itself needs no more resends once it is answered.
            if let knockID = MessageID(hex: knock.id) {
                _ = try OutboxStore.markDelivered(id: knockID, from: did, now: now, db)
            }
            receipts.owe(id, to: (did, frame.sender), relays: homes)
            try auditKnock(.knockAnswered, knock, by: "peer", now: now, db)
            return .decision(knock)
        case .path(let signal):
            // Offers from anyone but a contact are dropped: a stranger must not make us bind sockets and probe.
            guard contact != nil else { return .notAccepted("\(did) sent a path signal before its knock was accepted") }
            return .pathSignal(PathPeer(did: did, key: frame.sender), signal)
        case .knock:
            return .ignored("a knock body inside a session envelope")
        }
    }

    /// How long after its last send a message missing from the recipient's receipts is resent at once: the
    /// time its receipt may still be on the way.
    static let gapResendQuiet: Duration = .seconds(2)

    /// The full card, sent back as a `task.response` to a contact's `capability.query`.
    func answer(
        _ query: AgentMessage,
        from contact: Contact,
        servedCard: JSONValue,
        now: Timestamp,
        _ db: Database
    ) throws -> OutboxEntry {
        let body: JSONValue = .object(["status": .string("ok"), "output": servedCard])
        let bytes = Array(try JSONEncoder().encode(body))
        try auditMessage(
            .messageSent,
            peer: contact.did,
            intent: Intent.taskResponse,
            body: bytes,
            path: "relay",
            now: now,
            db
        )
        return try send(
            intent: Intent.taskResponse,
            body: bytes,
            inReplyTo: query.id,
            expiresAt: now + .seconds(24 * 3600),
            to: contact,
            now: now,
            db
        )
    }
}

/// Receipts a transaction owes, gathered per peer so a batch of envelopes from one sender earns one receipt
/// (at most `SessionPayload.maximumReceiptIDs` IDs each) instead of one per envelope.
struct OwedReceipts {
    private var order: [String] = []
    private var owed: [String: (key: Ed25519.PublicKey, relays: [String], ids: [MessageID])] = [:]

    mutating func owe(_ id: MessageID, to peer: (did: String, key: Ed25519.PublicKey), relays: [String]) {
        if owed[peer.did] == nil {
            order.append(peer.did)
            owed[peer.did] = (peer.key, relays, [])
        }
        owed[peer.did]?.ids.append(id)
    }

    mutating func merge(_ other: OwedReceipts) {
        for did in other.order {
            guard let entry = other.owed[did] else { continue }
            for id in entry.ids { owe(id, to: (did, entry.key), relays: entry.relays) }
        }
    }

    /// Encrypts and stores the receipts in the caller's transaction.
    func enqueue(with ledger: NodeLedger, now: Timestamp, _ db: Database) throws {
        for did in order {
            guard let entry = owed[did] else { continue }
            var start = 0
            while start < entry.ids.count {
                let chunk = Array(entry.ids[start..<min(start + SessionPayload.maximumReceiptIDs, entry.ids.count)])
                try ledger.enqueueReceipt(for: chunk, to: (did, entry.key), relays: entry.relays, now: now, db)
                start += chunk.count
            }
        }
    }
}
