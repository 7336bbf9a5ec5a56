import MeshCore
import Testing

@testable import RelayFallback

@Suite struct HubLoginTests {
    @Test func aNewConnectionGetsExactlyAChallengeWithANonceFromTheInjectedGenerator() {
        var hub = Fixture.hub()
        var random = SeededRandom(seed: 99)
        let nonce = random.bytes(count: 32)
        let actions = hub.connect(ConnectionID(1), source: "127.0.0.1", now: Fixture.start)
        #expect(
            actions == [
                .send(ConnectionID(1), .challenge(RelayChallenge(relayKey: Fixture.relay.publicKey, nonce: nonce)))
            ]
        )
    }

    @Test func aGoodLoginIsWelcomed() throws {
        var hub = Fixture.hub()
        let actions = try hub.logIn(Fixture.alice, on: ConnectionID(1))
        let welcome = RelayWelcome(clientID: Fixture.alice.nodeID, maximumEnvelopeBytes: 1_048_576, pendingCount: 0)
        #expect(actions == [.send(ConnectionID(1), .welcome(welcome))])
        #expect(hub.authenticatedCount == 1)
    }

    @Test func aBadSignatureIsRefusedAndClosed() throws {
        var hub = Fixture.hub()
        _ = hub.connect(ConnectionID(1), source: "127.0.0.1", now: Fixture.start)
        let wrong = RelayChallenge(relayKey: Fixture.relay.publicKey, nonce: [UInt8](repeating: 0, count: 32))
        let login = try RelayAuth.answer(wrong, identity: Fixture.alice, expectedRelay: nil)
        let actions = hub.receive(
            ConnectionID(1),
            bytes: RelayMessage.authenticate(login).encoded(),
            now: Fixture.start
        )
        #expect(refusals(actions) == [.badSignature])
        #expect(actions.last == .close(ConnectionID(1)))
        #expect(hub.connectionCount == 0)
    }

    @Test func aLoginCapturedOnOneConnectionCannotBeReplayedOnAnother() throws {
        var hub = Fixture.hub()
        let opened = hub.connect(ConnectionID(1), source: "127.0.0.1", now: Fixture.start)
        guard case .send(_, .challenge(let challenge)) = opened.first else {
            throw RelayRefusal(.unexpectedMessage, "")
        }
        let login = try RelayAuth.answer(challenge, identity: Fixture.alice, expectedRelay: nil)
        let bytes = RelayMessage.authenticate(login).encoded()
        _ = hub.receive(ConnectionID(1), bytes: bytes, now: Fixture.start)
        _ = hub.connect(ConnectionID(2), source: "127.0.0.1", now: Fixture.start)
        #expect(refusals(hub.receive(ConnectionID(2), bytes: bytes, now: Fixture.start)) == [.badSignature])
    }

    @Test func sendingBeforeLoginIsRefusedWithoutStorage() {
        var hub = Fixture.hub()
        _ = hub.connect(ConnectionID(1), source: "127.0.0.1", now: Fixture.start)
        let actions = hub.send(Fixture.envelope(1, to: Fixture.bob), on: ConnectionID(1))
        #expect(refusals(actions) == [.notAuthenticated])
        #expect(persisted(actions).isEmpty)
        #expect(actions.last == .close(ConnectionID(1)))
        #expect(hub.heldCount == 0)
    }

    @Test func garbageIsRefusedAsMalformed() {
        var hub = Fixture.hub()
        _ = hub.connect(ConnectionID(1), source: "127.0.0.1", now: Fixture.start)
        #expect(refusals(hub.receive(ConnectionID(1), bytes: [1, 2, 3], now: Fixture.start)) == [.malformedFrame])
    }

    @Test func aSecondLoginIsUnexpected() throws {
        var hub = Fixture.hub()
        try hub.logIn(Fixture.alice, on: ConnectionID(1))
        let login = RelayAuthentication(
            clientKey: Fixture.alice.publicKey,
            signature: Fixture.alice.sign([], domain: .relayChallenge)
        )
        let actions = hub.receive(
            ConnectionID(1),
            bytes: RelayMessage.authenticate(login).encoded(),
            now: Fixture.start
        )
        #expect(refusals(actions) == [.unexpectedMessage])
    }

    @Test func connectionsPerSourceAreCapped() {
        var limits = RelayLimits()
        limits.connectionsPerSource = 2
        var hub = Fixture.hub(limits)
        _ = hub.connect(ConnectionID(1), source: "10.0.0.1", now: Fixture.start)
        _ = hub.connect(ConnectionID(2), source: "10.0.0.1", now: Fixture.start)
        #expect(refusals(hub.connect(ConnectionID(3), source: "10.0.0.1", now: Fixture.start)) == [.tooManyConnections])
        #expect(refusals(hub.connect(ConnectionID(4), source: "10.0.0.2", now: Fixture.start)).isEmpty)
        _ = hub.disconnect(ConnectionID(1), now: Fixture.start)
        #expect(refusals(hub.connect(ConnectionID(5), source: "10.0.0.1", now: Fixture.start)).isEmpty)
    }

    @Test func aSlowLoginIsClosedAtItsDeadline() {
        var limits = RelayLimits()
        limits.authenticationTimeoutSeconds = 2
        var hub = Fixture.hub(limits)
        _ = hub.connect(ConnectionID(1), source: "127.0.0.1", now: Fixture.start)
        #expect(hub.nextDeadline() == Fixture.start + .seconds(2))
        #expect(hub.tick(now: Fixture.start + .seconds(1)).isEmpty)
        let actions = hub.tick(now: Fixture.start + .seconds(2))
        #expect(refusals(actions) == [.authenticationTimeout])
        #expect(actions.last == .close(ConnectionID(1)))
        #expect(hub.connectionCount == 0)
    }

    @Test func aNewerLoginReplacesTheOlderSession() throws {
        var hub = Fixture.hub()
        try hub.logIn(Fixture.alice, on: ConnectionID(1))
        let actions = try hub.logIn(Fixture.alice, on: ConnectionID(2))
        #expect(refusals(actions) == [.sessionReplaced])
        #expect(actions.contains(.close(ConnectionID(1))))
        #expect(hub.authenticatedCount == 1)
    }
}
