import Foundation
import GRDB
import MeshCore
import MeshNodeAPI
import MeshPeer
import NIOPosix
import Ratchet
import RatchetStore
import RelayClient
import RelayFallback
import Testing

@testable import MeshNode

/// b after it turned hostile: its identity and database, opened by the test, and its own relay login.
final class HostileContact: Sendable {
    let identity: AgentIdentity
    let database: NodeDatabase
    let ledger: NodeLedger
    let victim: Contact
    let client: RelayClient
    /// The relay's answer to each envelope b sent: true for accepted, false for refused.
    let answers = LockedValue([EnvelopeID: Bool]())
    let reader: Task<Void, Never>

    var victimKey: Ed25519.PublicKey { victim.publicKey }

    private init(
        identity: AgentIdentity,
        database: NodeDatabase,
        ledger: NodeLedger,
        victim: Contact,
        client: RelayClient
    ) {
        self.identity = identity
        self.database = database
        self.ledger = ledger
        self.victim = victim
        self.client = client
        let answers = self.answers
        reader = Task {
            for await event in client.events {
                switch event {
                case .accepted(let id, _): answers.withLock { $0[id] = true }
                case .refused(let refusal):
                    if let id = refusal.envelopeID { answers.withLock { $0[id] = false } }
                default: break
                }
            }
        }
    }

    static func open(home: String, victim did: String, relay: String) async throws -> HostileContact {
        let identity = try Keystore(home: home).loadIdentity(passphrase: nil)
        let database = try NodeDatabase(path: home + "/node.sqlite")
        let ratchet = try RatchetStore.shared(
            database: database.pool,
            key: RatchetStore.key(for: identity),
            schedule: NodeCard.prekeySchedule
        )
        let ledger = NodeLedger(identity: identity, ratchet: ratchet, messageExpiry: .seconds(3_600))
        guard let victim = try await database.pool.read({ db in try ContactStore.contact(did: did, db) }) else {
            throw TestFailure("b has no contact \(did)")
        }
        guard let address = RelayAddress(relay) else { throw TestFailure("bad relay address \(relay)") }
        let client = RelayClient(
            identity: identity,
            host: address.host,
            port: address.port,
            path: address.path,
            group: TestMesh.group
        )
        let contact = HostileContact(
            identity: identity,
            database: database,
            ledger: ledger,
            victim: victim,
            client: client
        )
        await client.start()
        _ = try await TestMesh.eventually("b's relay login") { await client.isReady ? true : nil }
        return contact
    }

    func close() async {
        await client.stop()
        reader.cancel()
    }

    /// Hands `payload` to the relay for a and waits (bounded) until the relay takes it.
    func deliver(_ payload: [UInt8]) async throws { try await deliver(all: [payload]) }

    /// Hands every payload to the relay for a at once (pipelined, in order) and waits (bounded) until the relay
    /// has taken them all. Refused ones (b's send rate is limited at the relay: 50 a second after a burst of
    /// 2,000) are sent again after a pause for the bucket to refill, at most 30 rounds.
    func deliver(all payloads: [[UInt8]]) async throws {
        var pending = payloads
        for _ in 0..<30 {
            var ids: [EnvelopeID] = []
            for payload in pending {
                var random = SystemRandom()
                let id = EnvelopeID.random(using: &random)
                let envelope = OutboundEnvelope(id: id, recipient: NodeID(publicKey: victimKey), payload: payload)
                guard await client.send(envelope) else { throw TestFailure("b's relay outbox is full") }
                ids.append(id)
            }
            let answers = self.answers
            let sent = ids
            let taken = try await MeshNode.eventually(
                "the relay's answers to \(sent.count) envelopes from b",
                timeout: .seconds(60),
                every: .milliseconds(5)
            ) {
                answers.withLock { answers in
                    sent.allSatisfy { answers[$0] != nil } ? sent.map { answers.removeValue(forKey: $0) ?? false } : nil
                }
            }
            pending = zip(pending, taken).filter { !$0.1 }.map(\.0)
            if pending.isEmpty { return }
            try await Task.sleep(for: .seconds(1))
        }
        throw TestFailure("the relay kept refusing \(pending.count) of b's envelopes")
    }

    /// A chat message from b's real session state (committed, as b's node would have).
    func message(_ text: String, inReplyTo: MessageID? = nil) throws -> OutboxEntry {
        let ledger = self.ledger
        return try database.pool.write { db in try self.send(text, inReplyTo: inReplyTo, ledger, db) }
    }

    /// `count` chat messages, in order, in one commit.
    func messages(count: Int, text: String) throws -> [OutboxEntry] {
        let ledger = self.ledger
        return try database.pool.write { db in
            try (0..<count).map { index in try self.send("\(text) #\(index)", inReplyTo: nil, ledger, db) }
        }
    }

    func send(_ text: String, inReplyTo: MessageID? = nil, _ ledger: NodeLedger, _ db: Database) throws -> OutboxEntry {
        let now = SystemClock().now()
        let body = Array(try JSONEncoder().encode(JSONValue.object(["text": .string(text)])))
        guard let contact = try ContactStore.contact(did: victim.did, db) else { throw TestFailure("no contact") }
        return try ledger.send(
            intent: "chat.message",
            body: body,
            inReplyTo: inReplyTo,
            expiresAt: now + .seconds(3_600),
            to: contact,
            now: now,
            db
        )
    }

    /// A receipt from b naming `ids`.
    func receipt(for ids: [MessageID]) throws -> OutboxEntry {
        let ledger = self.ledger
        let victim = self.victim
        return try database.pool.write { db in
            var random = SystemRandom()
            return try ledger.enqueue(
                .receipt(ids),
                id: MessageID.random(using: &random),
                kind: .receipt,
                intent: Intent.receipt,
                to: (victim.did, victim.publicKey),
                relays: victim.homes,
                now: SystemClock().now(),
                db
            )
        }
    }

    /// Whatever `body` builds from b's state, with b's state rolled back afterwards (b's real session never moved).
    func rolledBack<T: Sendable>(_ body: @escaping @Sendable (Database, NodeLedger) throws -> T) throws -> T {
        let ledger = self.ledger
        do {
            try database.pool.write { db in throw Rollback(value: try body(db, ledger)) }
        } catch let rollback as Rollback<T> {
            return rollback.value
        }
        throw TestFailure("no rollback")
    }

    /// The first message of a session b starts with another agent (its X3DH header names b), framed as b's.
    func envelopeForAnotherPeer() throws -> [UInt8] {
        let other = try LedgerParty("other", seed: UInt64.random(in: 1...UInt64.max))
        let now = SystemClock().now()
        let store = try RatchetStore.inMemory(key: RatchetStore.key(for: identity))
        var random = SystemRandom()
        try store.startSession(identity: identity, bundle: try other.target(now: now).bundle, random: &random)
        let sealed = try store.encrypt(Array("for someone else".utf8), to: other.identity.publicKey, random: &random)
        var random2 = SystemRandom()
        return MeshEnvelope.session(
            SessionFrame(sender: identity.publicKey, messageID: MessageID.random(using: &random2), ratchet: sealed)
        ).encoded()
    }
}

/// Carries a value out of a write transaction that must not commit (throwing rolls it back).
private struct Rollback<Value: Sendable>: Error {
    let value: Value
}
