import MeshCore
import Testing

@testable import RelayFallback

/// Explicit acks: the machine reports deliveries and acknowledges only what its owner acknowledges, with the
/// exact frames it sends.
@Suite struct ClientAckTests {
    /// A machine logged in to `Fixture.relay` by hand, its login actions and events drained.
    static func loggedIn() throws -> RelayClientMachine<SeededRandom> {
        var machine = RelayClientMachine(
            identity: Fixture.bob,
            expectedRelay: Fixture.relay.publicKey,
            random: SeededRandom(seed: 1)
        )
        machine.start()
        #expect(machine.pollAction() == .connect)
        machine.connectionOpened()
        try logIn(&machine)
        return machine
    }

    static func logIn(_ machine: inout RelayClientMachine<SeededRandom>) throws {
        let challenge = RelayChallenge(relayKey: Fixture.relay.publicKey, nonce: [UInt8](repeating: 7, count: 32))
        machine.received(RelayMessage.challenge(challenge).encoded())
        let login = try RelayAuth.answer(challenge, identity: Fixture.bob, expectedRelay: nil)
        #expect(machine.pollAction() == .transmit(RelayMessage.authenticate(login).encoded()))
        let welcome = RelayWelcome(clientID: Fixture.bob.nodeID, maximumEnvelopeBytes: 1_024, pendingCount: 0)
        machine.received(RelayMessage.welcome(welcome).encoded())
        #expect(machine.pollEvent() == .ready(welcome))
    }

    static func delivery(_ tag: UInt8) -> DeliveredEnvelope {
        DeliveredEnvelope(id: Fixture.id(tag), sender: Fixture.alice.nodeID, sequence: UInt64(tag), payload: [tag])
    }

    static func drain(_ machine: inout RelayClientMachine<SeededRandom>) -> ([RelayClientAction], [RelayClientEvent]) {
        var actions: [RelayClientAction] = []
        var events: [RelayClientEvent] = []
        while let action = machine.pollAction() { actions.append(action) }
        while let event = machine.pollEvent() { events.append(event) }
        return (actions, events)
    }

    @Test func aDeliveryIsReportedAndAckedOnlyWhenTheOwnerAcknowledges() throws {
        var machine = try Self.loggedIn()
        machine.received(RelayMessage.deliver(Self.delivery(1)).encoded())
        var (actions, events) = Self.drain(&machine)
        #expect(actions == [], "no ack before the owner's commit")
        #expect(events == [.delivered(Self.delivery(1))])
        machine.acknowledge([Fixture.id(1)])
        (actions, events) = Self.drain(&machine)
        #expect(actions == [.transmit(RelayMessage.ack([Fixture.id(1)]).encoded())])
        #expect(events == [])
    }

    @Test func anUnacknowledgedDeliveryIsReportedAgainAfterReconnectAndAnAcknowledgedOneIsOnlyAckedAgain() throws {
        var machine = try Self.loggedIn()
        machine.received(RelayMessage.deliver(Self.delivery(1)).encoded())
        machine.received(RelayMessage.deliver(Self.delivery(2)).encoded())
        _ = Self.drain(&machine)
        machine.acknowledge([Fixture.id(1)])
        _ = Self.drain(&machine)
        // The connection drops: the ack for 1 may or may not have reached the relay; 2 was never acked.
        machine.connectionClosed(now: Fixture.start)
        let retry = try #require(machine.pollTimeout())
        machine.handleTimeout(now: retry)
        var (actions, events) = Self.drain(&machine)
        #expect(actions == [.connect])
        #expect(events.count == 1)
        machine.connectionOpened()
        try Self.logIn(&machine)
        // The relay delivers both again.
        machine.received(RelayMessage.deliver(Self.delivery(1)).encoded())
        machine.received(RelayMessage.deliver(Self.delivery(2)).encoded())
        (actions, events) = Self.drain(&machine)
        #expect(actions == [.transmit(RelayMessage.ack([Fixture.id(1)]).encoded())], "1 is acked again, unreported")
        #expect(events == [.delivered(Self.delivery(2))], "2 is reported again: it was never acknowledged")
    }

    @Test func acknowledgingWhileDisconnectedSendsNothingAndTheRedeliveryIsAckedAfterLogin() throws {
        var machine = try Self.loggedIn()
        machine.received(RelayMessage.deliver(Self.delivery(3)).encoded())
        _ = Self.drain(&machine)
        machine.connectionClosed(now: Fixture.start)
        machine.acknowledge([Fixture.id(3)])
        var (actions, _) = Self.drain(&machine)
        #expect(actions == [])
        machine.handleTimeout(now: try #require(machine.pollTimeout()))
        machine.connectionOpened()
        _ = Self.drain(&machine)
        try Self.logIn(&machine)
        machine.received(RelayMessage.deliver(Self.delivery(3)).encoded())
        let events: [RelayClientEvent]
        (actions, events) = Self.drain(&machine)
        #expect(actions == [.transmit(RelayMessage.ack([Fixture.id(3)]).encoded())])
        #expect(events == [])
    }

    @Test func manyAcknowledgementsGoOutInFramesOfAtMost256() throws {
        var machine = try Self.loggedIn()
        let ids = (0..<300).map { index in
            try! EnvelopeID(bytes: [UInt8](repeating: 0, count: 14) + [UInt8(index >> 8), UInt8(index & 0xFF)])
        }
        machine.acknowledge(ids)
        let (actions, _) = Self.drain(&machine)
        #expect(
            actions == [
                .transmit(RelayMessage.ack(Array(ids[0..<256])).encoded()),
                .transmit(RelayMessage.ack(Array(ids[256...])).encoded()),
            ]
        )
    }

    @Test func contactsAreSentAfterEveryLoginAndWhenTheyChange() throws {
        var machine = RelayClientMachine(identity: Fixture.bob, random: SeededRandom(seed: 1))
        machine.setContacts([Fixture.carol.nodeID, Fixture.alice.nodeID])
        machine.start()
        _ = machine.pollAction()
        machine.connectionOpened()
        let sorted = [Fixture.alice.nodeID, Fixture.carol.nodeID].sorted {
            $0.bytes.lexicographicallyPrecedes($1.bytes)
        }
        let challenge = RelayChallenge(relayKey: Fixture.relay.publicKey, nonce: [UInt8](repeating: 7, count: 32))
        machine.received(RelayMessage.challenge(challenge).encoded())
        _ = machine.pollAction()
        let welcome = RelayWelcome(clientID: Fixture.bob.nodeID, maximumEnvelopeBytes: 1_024, pendingCount: 0)
        machine.received(RelayMessage.welcome(welcome).encoded())
        var (actions, _) = Self.drain(&machine)
        #expect(actions == [.transmit(RelayMessage.contacts(sorted).encoded())])
        machine.setContacts([Fixture.alice.nodeID, Fixture.carol.nodeID])
        (actions, _) = Self.drain(&machine)
        #expect(actions == [], "an unchanged list is not sent again")
        machine.setContacts([])
        (actions, _) = Self.drain(&machine)
        #expect(actions == [.transmit(RelayMessage.contacts([]).encoded())])
    }

    @Test func loginFailuresAreReportedWithTheirCause() throws {
        // A relay that proves another key: refused before anything is signed.
        var machine = RelayClientMachine(
            identity: Fixture.bob,
            expectedRelay: Fixture.carol.publicKey,
            random: SeededRandom(seed: 1)
        )
        machine.start()
        _ = machine.pollAction()
        machine.connectionOpened()
        let challenge = RelayChallenge(relayKey: Fixture.relay.publicKey, nonce: [UInt8](repeating: 7, count: 32))
        machine.received(RelayMessage.challenge(challenge).encoded())
        var (actions, events) = Self.drain(&machine)
        #expect(actions == [.disconnect])
        #expect(events.count == 2)
        guard case .connectFailed(let failure) = events.last else {
            Issue.record("no connect failure in \(events)")
            return
        }
        #expect(failure.code == .loginRejected)
        machine.connectionClosed(now: Fixture.start)
        (actions, events) = Self.drain(&machine)
        #expect(events.count == 1, "one report per attempt: the close adds only `.disconnected`")

        // A connect that never opened: the adapter's cause is reported, then the retry time.
        machine.handleTimeout(now: try #require(machine.pollTimeout()))
        _ = Self.drain(&machine)
        let down = RelayConnectFailure(.unreachable, "connection refused")
        machine.connectFailed(down, now: Fixture.start)
        (actions, events) = Self.drain(&machine)
        #expect(events.first == .connectFailed(down))
        guard case .disconnected(let at) = events.last else {
            Issue.record("no disconnect in \(events)")
            return
        }
        #expect(at != nil)
    }
}
