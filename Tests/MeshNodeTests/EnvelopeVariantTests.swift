import Foundation
import GRDB
import MeshCore
import MeshPeer
import Testing

@testable import MeshNode
@testable import RelayFallback

/// Which envelope ID a message's next send travels under (`OutboxEntry.nextVariant`).
///
/// The defect (found as a stall of `HostileRelayProcessTests`, seeds 86384 and 62558): the variant followed the
/// attempt count, which also grows on sends that reached no relay, and it stopped at the fifth. A sender that was
/// not logged in for four seconds spent variants 0 to 3 on nothing; the first copy a relay took was variant 4; the
/// hostile relay dropped that delivery, which a relay then holds as in flight until the recipient reconnects and
/// answers `duplicate` for; and every later resend went out as variant 4 again. The recipient, online, held the
/// rest of the conversation behind the gap for 90 s and the message never arrived. Driven on the real outbox and a
/// real `RelayHub` (sans-IO); the first two tests fail with the attempt-count rule.
@Suite struct EnvelopeVariantTests {
    let ledger = LedgerTests()
    static let relay: AgentIdentity = {
        var random = SeededRandom(seed: 404)
        return AgentIdentity.generate(using: &random)
    }()

    /// Claims the entry's next send as the outbox's `deliverDue` does; returns the envelope ID it goes under.
    func claim(_ party: LedgerParty, _ id: MessageID, now: Timestamp) throws -> EnvelopeID {
        try party.write { db in
            let entry = try #require(try OutboxStore.entry(id: id, db))
            try OutboxStore.claim(id: id, variant: entry.nextVariant, next: now + .seconds(1), now: now, db)
            return id.envelopeID(variant: entry.nextVariant)
        }
    }

    func settle(_ party: LedgerParty, _ envelope: EnvelopeID, now: Timestamp) throws {
        _ = try party.write { db in try AgentNode.settleAcceptances([envelope], now: now, db) }
    }

    @Test func aSendNoRelayAnsweredSpendsNoVariant() throws {
        let (alice, bob) = try ledger.pair()
        let now = ledger.start + .seconds(1)
        let message = try ledger.send("hello", from: alice, to: bob, at: now)
        // Four sends while no relay is logged in: no answer, so every one is variant 0.
        for _ in 0..<4 { #expect(try claim(alice, message.id, now: now) == message.id.envelopeID(variant: 0)) }
        // A relay answers for variant 0: the next send is variant 1, and so on up to the offline bound, then the last
        // variant again (a relay keeps at most `envelopeVariants` copies for a recipient that may be offline).
        var sent: [EnvelopeID] = []
        for _ in 0..<7 {
            let envelope = try claim(alice, message.id, now: now)
            sent.append(envelope)
            try settle(alice, envelope, now: now)
        }
        #expect(sent == (0..<7).map { message.id.envelopeID(variant: min($0, 4)) })
    }

    /// A knock waits for its answer as a message waits for its receipt, and is resent under new IDs the same way.
    @Test func aKnockARelayAnsweredForTakesANewIDNextTime() throws {
        let carol = try LedgerParty("carol", seed: 77)
        let bob = try LedgerParty("bob", seed: 78)
        let now = ledger.start + .seconds(1)
        let knock = try carol.knock(on: bob, now: now)
        #expect(knock.kind == .knock)
        let first = try claim(carol, knock.id, now: now)
        #expect(first == knock.id.envelopeID(variant: 0))
        #expect(try claim(carol, knock.id, now: now) == first, "no relay answered: the same ID")
        try settle(carol, first, now: now)
        #expect(try claim(carol, knock.id, now: now) == knock.id.envelopeID(variant: 1))
    }

    @Test func aCopyLostInFlightDoesNotStopTheGapResends() throws {
        let (alice, bob) = try ledger.pair()
        var now = ledger.start + .seconds(1)
        var hub = Self.hub(seed: 7, now: now)
        let (fromAlice, toBob) = (ConnectionID(1), ConnectionID(2))
        try logIn(&hub, alice.identity, on: fromAlice, now: now)
        try logIn(&hub, bob.identity, on: toBob, now: now)
        let message = try ledger.send("hello", from: alice, to: bob, at: now)
        // A relay that loses every delivery of this message to Bob's open connection, ten times over; Bob's receipts
        // for later messages show the gap (`resendGaps`), so Alice keeps resending. Each resend must reach Bob's
        // connection as a new envelope, not be answered `duplicate`.
        var deliveries = 0
        for _ in 0..<10 {
            let envelope = try claim(alice, message.id, now: now)
            let actions = Self.relay(&hub, envelope, from: fromAlice, to: bob, now: now)
            if actions.contains(where: { Self.delivers($0, to: toBob) }) { deliveries += 1 }
            for answer in actions.compactMap({ Self.accepted($0, on: fromAlice) }) {
                try settle(alice, answer, now: now)
            }
            now = now + .seconds(2)
            let (later, peer) = (now, bob.did)
            _ = try alice.write { db in
                try OutboxStore.resendGaps(peer: peer, before: later, quiet: .seconds(2), now: later, db)
            }
        }
        #expect(deliveries == 10, "every resend reached the recipient's connection")
    }

    /// Without a gap the bound stays: after five answered variants the relay answers `duplicate` for the copy it
    /// keeps, and stores no sixth for a recipient that may be offline.
    @Test func anOfflineRecipientGetsAtMostFiveCopies() throws {
        let (alice, bob) = try ledger.pair()
        let now = ledger.start + .seconds(1)
        var hub = Self.hub(seed: 8, now: now)
        let fromAlice = ConnectionID(1)
        try logIn(&hub, alice.identity, on: fromAlice, now: now)
        let message = try ledger.send("hello", from: alice, to: bob, at: now)
        var stored = 0
        var duplicates = 0
        for _ in 0..<8 {
            let envelope = try claim(alice, message.id, now: now)
            for action in Self.relay(&hub, envelope, from: fromAlice, to: bob, now: now) {
                guard case .send(fromAlice, .accepted(let id, let disposition)) = action else { continue }
                if disposition == .stored { stored += 1 }
                if disposition == .duplicate { duplicates += 1 }
                try settle(alice, id, now: now)
            }
        }
        #expect(stored == MessageID.envelopeVariants)
        #expect(duplicates == 8 - MessageID.envelopeVariants)
    }

    func logIn(
        _ hub: inout RelayHub<SeededRandom>,
        _ identity: AgentIdentity,
        on connection: ConnectionID,
        now: Timestamp
    )
        throws
    {
        let opened = hub.connect(connection, source: "127.0.0.1", now: now)
        guard case .send(_, .challenge(let challenge))? = opened.first else {
            Issue.record("no challenge in \(opened)")
            return
        }
        let login = try RelayAuth.answer(challenge, identity: identity, expectedRelay: Self.relay.publicKey)
        let welcomed = hub.receive(connection, bytes: RelayMessage.authenticate(login).encoded(), now: now)
        #expect(welcomed.contains { if case .send(_, .welcome) = $0 { true } else { false } })
    }

    static func hub(seed: UInt64, now: Timestamp) -> RelayHub<SeededRandom> {
        RelayHub(relayKey: relay.publicKey, limits: RelayLimits(), random: SeededRandom(seed: seed), now: now)
    }

    /// Alice's send of `envelope` for `recipient` as the relay receives it; returns what the relay does.
    static func relay(
        _ hub: inout RelayHub<SeededRandom>,
        _ envelope: EnvelopeID,
        from connection: ConnectionID,
        to recipient: LedgerParty,
        now: Timestamp
    ) -> [RelayHubAction] {
        let sent = OutboundEnvelope(
            id: envelope,
            recipient: NodeID(publicKey: recipient.identity.publicKey),
            ttlSeconds: 600,
            payload: Array("ciphertext".utf8)
        )
        return hub.receive(connection, bytes: RelayMessage.send(sent).encoded(), now: now)
    }

    static func delivers(_ action: RelayHubAction, to connection: ConnectionID) -> Bool {
        if case .send(connection, .deliver) = action { return true }
        return false
    }

    static func accepted(_ action: RelayHubAction, on connection: ConnectionID) -> EnvelopeID? {
        if case .send(connection, .accepted(let id, _)) = action { return id }
        return nil
    }
}
