import GRDB
import MeshCore
import MeshPeer
import Ratchet
import RatchetStore
import RelayFallback

/// What the recipient's published record offers a knocker: read from a verified record before the transaction.
struct KnockTarget: Sendable {
    var did: String
    var key: Ed25519.PublicKey
    var bundle: PrekeyBundle
    var token: KnockToken
    var difficulty: UInt8
    var relays: [String]
}

/// How an incoming knock ended, for the actor to report after the commit.
enum IncomingKnockOutcome: Sendable {
    case duplicate
    case stored(StoredKnock, evicted: [String])
}

extension NodeLedger {
    /// Starts the X3DH session from the recipient's bundle, seals the knock body, solves the proof of work, and
    /// stores the knock and its outbox entry: one commit.
    func knock(
        _ request: KnockRequest,
        target: KnockTarget,
        ownRelays: [String],
        ownName: String?,
        ownerCredentials: OwnerCredentials? = nil,
        now: Timestamp,
        _ db: Database
    ) throws -> StoredKnock {
        var random = SystemRandom()
        try ratchet.startSession(identity: identity, bundle: target.bundle, random: &random, in: db)
        let body = try KnockBody(
            purpose: request.purpose,
            introducedBy: request.introducedBy,
            senderRelays: ownRelays,
            senderName: ownName,
            ownerCredentials: ownerCredentials
        )
        let sealed = try ratchet.encrypt(SessionPayload.knock(body).encoded(), to: target.key, random: &random, in: db)
        let frame = KnockFrame.make(
            identity: identity,
            recipient: target.key,
            token: target.token,
            intent: request.intent,
            sealed: sealed,
            issuedAt: now,
            difficulty: target.difficulty,
            random: &random
        )
        let bytes = MeshEnvelope.knock(frame).encoded()
        let knock = StoredKnock(
            id: frame.knockID.hex,
            direction: .outgoing,
            peer: target.did,
            peerKey: target.key,
            intent: request.intent,
            purpose: request.purpose,
            introducedBy: request.introducedBy,
            peerRelays: target.relays,
            state: .pending,
            reason: nil,
            rule: nil,
            byteCount: bytes.count,
            createdAt: now,
            decidedAt: nil
        )
        try KnockStore.insert(knock, db)
        try OutboxStore.insert(
            OutboxEntry(
                id: frame.knockID,
                peer: target.did,
                peerKey: target.key,
                kind: .knock,
                intent: request.intent,
                payload: bytes,
                state: .queued,
                createdAt: now,
                expiresAt: now + messageExpiry,
                nextAttemptAt: now,
                attempts: 0,
                lastError: nil,
                deliveredAt: nil,
                relays: target.relays
            ),
            db
        )
        try auditKnock(.knockSent, knock, by: "agent", now: now, db)
        return knock
    }

    /// An admitted knock (the gate's checks passed): decrypts its body (X3DH), applies the policy and the pending
    /// bounds, stores it, and queues the receipt and, when decided now, the decision. One commit.
    func receiveKnock(
        _ frame: KnockFrame,
        policy: KnockPolicy,
        published: OwnerCredentials? = nil,
        ownerRevocations: [OwnerRevocation] = [],
        pendingConfiguration: PendingKnocks.Configuration,
        ownRelays: [String],
        now: Timestamp,
        _ db: Database
    ) throws -> IncomingKnockOutcome {
        if try InboxStore.wasReceived(sender: frame.sender, id: frame.knockID, db) { return .duplicate }
        var random = SystemRandom()
        let plaintext = try ratchet.receive(
            frame.sealed,
            from: frame.sender,
            identity: identity,
            now: now,
            random: &random,
            in: db
        )
        guard case .knock(let body) = try SessionPayload.decode(plaintext) else {
            throw NodeLedgerError("a knock's sealed body is not a knock")
        }
        try InboxStore.markReceived(sender: frame.sender, id: frame.knockID, now: now, db)
        let did = frame.sender.did
        let isContact = try ContactStore.contact(did: did, db) != nil
        let introducedByContact = try body.introducedBy.map { try ContactStore.contact(did: $0, db) != nil } ?? false
        // The owner certificate travels in the sealed body (decision 0093); `judge` verifies it against the policy.
        let judgement = policy.judge(
            sender: frame.sender,
            intent: frame.intent,
            introducedByContact: introducedByContact,
            credentials: body.ownerCredentials,
            published: published,
            ownerRevocations: ownerRevocations,
            now: now
        )
        let verdict: KnockVerdict = isContact ? .accept(rule: "already a contact") : judgement.verdict
        var knock = StoredKnock(
            id: frame.knockID.hex,
            direction: .incoming,
            peer: did,
            peerKey: frame.sender,
            intent: frame.intent,
            purpose: body.purpose,
            introducedBy: body.introducedBy,
            peerRelays: body.senderRelays,
            state: .held,
            reason: nil,
            rule: nil,
            byteCount: frame.sealed.wireBytes.count,
            createdAt: now,
            decidedAt: nil
        )
        var evicted: [String] = []
        let peer = (did: did, key: frame.sender)
        switch verdict {
        case .accept(let rule):
            knock.state = .accepted
            knock.rule = rule
            knock.decidedAt = now
            try ContactStore.upsert(
                did: did,
                key: frame.sender,
                name: body.senderName,
                homes: body.senderRelays,
                now: now,
                db
            )
            try ContactStore.setTier(did: did, judgement.tier == .ownerVerified ? .ownerVerified : .knockedAccepted, db)
            // Kept so the tier can end with the certificate (expiry, or a revocation learnt later).
            if judgement.tier == .ownerVerified, let certificate = body.ownerCredentials?.certificate {
                try ContactStore.setCertificate(did: did, certificate, db)
            }
            try enqueueDecision(for: knock, accepted: true, reason: nil, ownRelays: ownRelays, now: now, db)
        case .reject(let rule):
            knock.state = .rejected
            knock.rule = rule
            knock.decidedAt = now
            // A certificate refusal is worth telling an honest knocker (its owner can re-certify); a plain rule is not.
            var told: String?
            if case .failure(let refusal)? = judgement.certificate, rule.hasPrefix("requireOwner") {
                knock.reason = refusal.description
                told = "owner certificate refused: \(refusal.code.rawValue)"
            }
            try enqueueDecision(for: knock, accepted: false, reason: told, ownRelays: ownRelays, now: now, db)
        case .hold(let rule):
            knock.rule = rule
            evicted = try makeRoom(for: knock, configuration: pendingConfiguration, now: now, db)
        }
        try KnockStore.insert(knock, db)
        try auditKnock(
            .knockReceived,
            knock,
            by: "policy",
            certificate: judgement.certificateDetail,
            tier: isContact ? nil : judgement.tier,
            now: now,
            db
        )
        try enqueueReceipt(for: [frame.knockID], to: peer, relays: body.senderRelays, now: now, db)
        return .stored(knock, evicted: evicted)
    }

    /// Holds `knock` within the pending bounds: `PendingKnocks` (rebuilt from the held rows) decides what is
    /// evicted; evicted knocks are rejected without a notice (the sender's knock simply expires). Returns the
    /// evicted IDs, or throws when the knock alone is larger than the bounds allow.
    func makeRoom(
        for knock: StoredKnock,
        configuration: PendingKnocks.Configuration,
        now: Timestamp,
        _ db: Database
    ) throws -> [String] {
        var pending = PendingKnocks(configuration: configuration)
        for held in try KnockStore.held(db) {
            _ = pending.insert(held.held, now: held.createdAt)
        }
        switch pending.insert(knock.held, now: now) {
        case .held(let evictions):
            for eviction in evictions {
                try KnockStore.decide(
                    id: eviction.id.hex,
                    state: .rejected,
                    reason: "evicted: \(eviction.reason.rawValue)",
                    rule: "pending-bounds",
                    now: now,
                    db
                )
            }
            return evictions.map(\.id.hex)
        case .duplicate:
            return []
        case .tooLarge:
            throw NodeLedgerError("a knock larger than the pending bounds")
        }
    }

    /// The owner's (or the policy's) answer, sent back over the session the knock started.
    func enqueueDecision(
        for knock: StoredKnock,
        accepted: Bool,
        reason: String?,
        ownRelays: [String],
        now: Timestamp,
        _ db: Database
    ) throws {
        var random = SystemRandom()
        let notice = try KnockDecisionNotice(
            knockID: MessageID(hex: knock.id)!,
            accepted: accepted,
            reason: reason,
            recipientRelays: ownRelays
        )
        try enqueue(
            .knockDecision(notice),
            id: MessageID.random(using: &random),
            kind: .decision,
            intent: accepted ? "knock.accepted" : "knock.rejected",
            to: (knock.peer, knock.peerKey),
            relays: knock.peerRelays,
            now: now,
            db
        )
    }

    /// The owner decides a held knock.
    func decide(
        knockID: String,
        accept: Bool,
        reason: String?,
        ownRelays: [String],
        now: Timestamp,
        _ db: Database
    ) throws -> StoredKnock {
        guard var knock = try KnockStore.knock(id: knockID, db), knock.direction == .incoming else {
            throw NodeAPIError(.notFound, "no incoming knock \(knockID)")
        }
        guard knock.state == .held else {
            throw NodeAPIError(.conflict, "knock \(knockID) was already \(knock.state.rawValue)")
        }
        knock.state = accept ? .accepted : .rejected
        knock.reason = reason
        knock.rule = "owner"
        knock.decidedAt = now
        try KnockStore.decide(id: knockID, state: knock.state, reason: reason, rule: "owner", now: now, db)
        if accept {
            try ContactStore.upsert(
                did: knock.peer,
                key: knock.peerKey,
                name: nil,
                homes: knock.peerRelays,
                now: now,
                db
            )
            try ContactStore.setTier(did: knock.peer, .knockedAccepted, db)
        }
        try enqueueDecision(for: knock, accepted: accept, reason: reason, ownRelays: ownRelays, now: now, db)
        try auditKnock(.knockDecided, knock, by: "owner", now: now, db)
        return knock
    }
}

extension StoredKnock {
    var held: HeldKnock {
        HeldKnock(
            id: MessageID(hex: id) ?? MessageID.unreadable,
            sender: peer,
            intent: intent,
            purpose: purpose,
            introducedBy: introducedBy,
            receivedAt: createdAt,
            byteCount: byteCount
        )
    }
}

struct NodeLedgerError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension MessageID {
    /// Stands in for an ID column that no longer parses (a damaged row): it matches no real message.
    static let unreadable = try! MessageID(bytes: [UInt8](repeating: 0, count: MessageID.byteCount))
}

extension MessageID {
    /// The message an envelope carries has the envelope's ID. Both are 16 bytes by construction (`EnvelopeID` checks
    /// its length), so this cannot fail.
    init(envelopeID: EnvelopeID) {
        self = (try? MessageID(bytes: envelopeID.bytes)) ?? .unreadable
    }
}
