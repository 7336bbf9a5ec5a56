import MeshCore
import Testing

@testable import RelayFallback

/// A client with home relays A (index 0) and B (index 1), each a real hub in memory.
struct TwoRelays {
    var hubs = [
        RelayHub(
            relayKey: Fixture.relay.publicKey,
            limits: RelayLimits(),
            random: SeededRandom(seed: 1),
            now: Fixture.start
        ),
        RelayHub(
            relayKey: Fixture.carol.publicKey,
            limits: RelayLimits(),
            random: SeededRandom(seed: 2),
            now: Fixture.start
        ),
    ]
    var set: HomeRelaySet<SeededRandom>
    var open: Set<Int> = []
    var events: [(Int, RelayClientEvent)] = []
    let me = ConnectionID(1)

    init() {
        var random = SeededRandom(seed: 3)
        set = HomeRelaySet(
            identity: Fixture.bob,
            relays: [Fixture.relay.publicKey, Fixture.carol.publicKey],
            random: &random
        )
        set.start()
        pump()
    }

    mutating func pump() {
        while true {
            // The owner acknowledges every delivery at once (as a node does after its commit).
            while let (relay, event) = set.pollEvent() {
                events.append((relay, event))
                if case .delivered(let envelope) = event { set.acknowledge([envelope.id], relay: relay) }
            }
            guard let (relay, action) = set.pollAction() else { break }
            switch action {
            case .connect:
                open.insert(relay)
                set.connectionOpened(relay)
                route(relay, hubs[relay].connect(me, source: "127.0.0.1", now: Fixture.start))
            case .transmit(let bytes):
                route(relay, hubs[relay].receive(me, bytes: bytes, now: Fixture.start))
            case .disconnect:
                drop(relay)
            }
        }
    }

    mutating func drop(_ relay: Int) {
        guard open.remove(relay) != nil else { return }
        route(relay, hubs[relay].disconnect(me, now: Fixture.start))
        set.connectionClosed(relay, now: Fixture.start)
    }

    /// Passes a hub's messages for our connection to the set; other connections' messages are ignored.
    mutating func route(_ relay: Int, _ actions: [RelayHubAction]) {
        for action in actions {
            switch action {
            case .send(let id, let message) where id == me && open.contains(relay):
                set.received(relay, bytes: message.encoded())
            case .close(let id) where id == me:
                drop(relay)
            default:
                break
            }
        }
    }

    /// Alice, logged in at `relay` on connection 2, sends an envelope to Bob there.
    mutating func aliceSends(_ envelope: OutboundEnvelope, through relay: Int) throws {
        if hubs[relay].authenticatedCount < 2 { try hubs[relay].logIn(Fixture.alice, on: ConnectionID(2)) }
        route(relay, hubs[relay].send(envelope, on: ConnectionID(2)))
        pump()
    }
}

@Suite struct HomeRelaySetTests {
    @Test func bothHomeRelaysLogIn() {
        let net = TwoRelays()
        let ready = net.set.members.map(\.machine.isReady)
        #expect(ready == [true, true])
        #expect(net.events.filter { if case .ready = $0.1 { return true } else { return false } }.count == 2)
    }

    @Test func sendsGoThroughTheFastestReadyRelay() {
        var net = TwoRelays()
        #expect(net.set.preferredRelay() == 0)
        net.set.recordRoundTrip(0, .milliseconds(80))
        net.set.recordRoundTrip(1, .milliseconds(20))
        #expect(net.set.send(Fixture.envelope(1, to: Fixture.alice)) == 1)
        net.pump()
        #expect(net.hubs[1].heldCount == 1 && net.hubs[0].heldCount == 0)
    }

    @Test func aFailingRelayIsAvoidedUntilItRecovers() {
        var net = TwoRelays()
        net.set.recordRoundTrip(0, .milliseconds(1))
        net.drop(0)
        #expect(net.set.preferredRelay() == 1)
        #expect(net.set.send(Fixture.envelope(2, to: Fixture.alice)) == 1)
    }

    @Test func theSameEnvelopeThroughBothRelaysIsDeliveredOnce() throws {
        var net = TwoRelays()
        let envelope = Fixture.envelope(9, to: Fixture.bob)
        try net.aliceSends(envelope, through: 0)
        try net.aliceSends(envelope, through: 1)
        let deliveries = net.events.filter { if case .delivered = $0.1 { return true } else { return false } }
        #expect(deliveries.count == 1)
        #expect(net.hubs[0].heldCount == 0 && net.hubs[1].heldCount == 0, "both relays got their ack")
    }
}
