import Foundation
import GRDB
import MeshCore
import MeshPeer
import Ratchet
import RatchetStore
import RelayFallback
import TestSupport

@testable import MeshNode

/// One agent's node state without its IO: its own database file and ledger. Tests move envelopes between two
/// parties by hand (what relays would carry), with explicit instants, so every outcome is exact.
struct LedgerParty {
    let name: String
    let identity: AgentIdentity
    let database: NodeDatabase
    let ledger: NodeLedger
    let token: KnockToken
    let relays: [String]

    init(_ name: String, seed: UInt64) throws {
        self.name = name
        var random = SeededRandom(seed: seed)
        identity = AgentIdentity.generate(using: &random)
        token = KnockToken.random(using: &random)
        let directory = TestDirectory.make("ledger")
        database = try NodeDatabase(path: directory.appendingPathComponent("node.sqlite").path)
        let ratchet = try RatchetStore.shared(
            database: database.pool,
            key: RatchetStore.key(for: identity),
            schedule: NodeCard.prekeySchedule
        )
        ledger = NodeLedger(identity: identity, ratchet: ratchet, messageExpiry: .seconds(3_600))
        relays = ["ws://127.0.0.1:1/\(name)"]
    }

    var did: String { identity.did }

    /// What a knocker reads from this party's record: its signed-prekey bundle, token and relays.
    func target(now: Timestamp) throws -> KnockTarget {
        var random = SystemRandom()
        let prekeys = try ledger.ratchet.prekeys(identity: identity, now: now, random: &random)
        return KnockTarget(
            did: did,
            key: identity.publicKey,
            bundle: AgentProfile.recordBundle(from: prekeys, identity: identity),
            token: token,
            difficulty: 0,
            relays: relays
        )
    }

    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) throws -> T {
        try database.pool.write(body)
    }

    /// Everything in the outbox that is due at `now`, oldest first (what the outbox loop would hand to relays).
    func outgoing(now: Timestamp) throws -> [OutboxEntry] {
        try database.pool.read { db in try OutboxStore.due(now: now, limit: 1_000, db) }
    }

    /// Hands `entry` (from another party's outbox) to this party, as a relay delivery would.
    func deliver(
        _ entry: OutboxEntry,
        policy: KnockPolicy = KnockPolicy(default: .accept),
        now: Timestamp
    ) throws
        -> Delivered
    {
        let ledger = self.ledger
        let relays = self.relays
        switch try MeshEnvelope.decode(entry.payload) {
        case .knock(let frame):
            return .knock(
                try write { db in
                    try ledger.receiveKnock(
                        frame,
                        policy: policy,
                        pendingConfiguration: .init(maximumCount: 2),
                        ownRelays: relays,
                        now: now,
                        db
                    )
                }
            )
        case .session(let frame):
            return .session(
                try write { db in
                    try ledger.receiveSession(frame, id: entry.id, servedCard: .null, now: now, db)
                }
            )
        }
    }

    enum Delivered {
        case knock(IncomingKnockOutcome)
        case session(SessionOutcome)
    }

    func inbox() throws -> [InboxMessage] {
        try database.pool.read { db in try InboxStore.page(after: 0, limit: 1_000, db) }
    }

    func contact(_ did: String) throws -> Contact? {
        try database.pool.read { db in try ContactStore.contact(did: did, db) }
    }
}

extension LedgerParty {
    /// A pushy sender: knocks on `recipient` and records it as a contact without waiting for the answer, so a test
    /// can check what the recipient does with envelopes sent before acceptance.
    func knockAndPretendContact(_ recipient: LedgerParty, now: Timestamp) throws {
        let target = try recipient.target(now: now)
        try write { db in
            _ = try ledger.knock(
                KnockRequest(to: recipient.did, intent: "chat.message", purpose: "let me in"),
                target: target,
                ownRelays: relays,
                ownName: nil,
                now: now,
                db
            )
            try ContactStore.upsert(
                did: recipient.did,
                key: recipient.identity.publicKey,
                name: nil,
                homes: recipient.relays,
                now: now,
                db
            )
        }
    }
}

extension LedgerParty {
    /// Knocks on `recipient` ("chat.message", "hello", named Alice), with owner credentials if given, and returns
    /// the knock as it leaves: the envelope the test then delivers by hand.
    func knock(on recipient: LedgerParty, credentials: OwnerCredentials? = nil, now: Timestamp) throws -> OutboxEntry {
        let target = try recipient.target(now: now)
        _ = try write { db in
            try ledger.knock(
                KnockRequest(to: recipient.did, intent: "chat.message", purpose: "hello"),
                target: target,
                ownRelays: relays,
                ownName: "Alice",
                ownerCredentials: credentials,
                now: now,
                db
            )
        }
        guard let knock = try outgoing(now: now).first else { throw TestFailure("the knock did not leave") }
        return knock
    }
}
