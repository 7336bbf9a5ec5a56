import MeshCore
import Testing

@testable import RelayFallback

/// A delivery the recipient never acknowledges (its store failed, or it dropped the envelope) is written again on
/// the same connection once the ack wait runs out, the wait doubling each time; an acknowledged one never is.
/// Before, it came back only after a reconnect, and a full delivery window of them stopped the mailbox for good.
@Suite struct HubRedeliveryTests {
    let a = ConnectionID(1)
    let b = ConnectionID(2)

    func limits(window: Int = 128) -> RelayLimits {
        var limits = RelayLimits()
        limits.ackWaitSeconds = 10
        limits.deliveryWindow = window
        return limits
    }

    /// Ticks at every deadline the hub names up to `end` (as the adapter's timer does) and returns every action.
    func run(_ hub: inout RelayHub<SeededRandom>, until end: Timestamp) -> [(Timestamp, [RelayHubAction])] {
        var seen: [(Timestamp, [RelayHubAction])] = []
        for _ in 0..<1_000 {
            guard let deadline = hub.nextDeadline(), deadline <= end else { break }
            let actions = hub.tick(now: deadline)
            if !actions.isEmpty { seen.append((deadline, actions)) }
        }
        return seen
    }

    func deliveries(_ actions: [RelayHubAction]) -> [EnvelopeID] {
        actions.flatMap { action -> [EnvelopeID] in
            switch action {
            case .send(_, .deliver(let envelope)): [envelope.id]
            case .deliverStored(_, let metas): metas.map(\.id)
            default: []
            }
        }
    }

    @Test func anUnacknowledgedLiveDeliveryComesAgainAfterTheAckWaitAndThenAfterTwiceIt() throws {
        var hub = Fixture.hub(limits())
        try hub.logIn(Fixture.alice, on: a)
        try hub.logIn(Fixture.bob, on: b)
        let envelope = Fixture.envelope(1, to: Fixture.bob)
        let first = hub.send(envelope, on: a)
        #expect(deliveries(first) == [envelope.id])
        // Nothing within the ack wait.
        #expect(run(&hub, until: Fixture.start + .seconds(9)).isEmpty)
        // The check runs every 5 s (half the wait): the first redelivery lands between 10 and 15 s.
        let again = run(&hub, until: Fixture.start + .seconds(15))
        #expect(again.count == 1)
        let (when, actions) = try #require(again.first)
        #expect(when >= Fixture.start + .seconds(10))
        let delivery = DeliveredEnvelope(
            id: envelope.id,
            sender: Fixture.alice.nodeID,
            sequence: 1,
            payload: envelope.payload
        )
        #expect(actions == [.send(b, .deliver(delivery))])
        #expect(hub.redeliveries == 1)
        // The next waits 20 s from there.
        #expect(run(&hub, until: when + .seconds(19)).isEmpty)
        let third = run(&hub, until: when + .seconds(25))
        #expect(third.map { deliveries($0.1) } == [[envelope.id]])
        #expect(hub.redeliveries == 2)
        // Acknowledged now: never again, and the relay holds nothing.
        _ = hub.receive(b, bytes: RelayMessage.ack([envelope.id]).encoded(), now: when + .seconds(26))
        #expect(run(&hub, until: when + .seconds(3_600)).isEmpty)
        #expect(hub.heldCount == 0)
    }

    @Test func aFullWindowOfUnacknowledgedStoredDeliveriesNoLongerStopsTheMailbox() throws {
        var hub = Fixture.hub(limits(window: 2))
        try hub.logIn(Fixture.alice, on: a)
        // Stored while bob is away, so each goes out as a stored delivery when he logs in.
        for tag in UInt8(1)...4 { _ = hub.send(Fixture.envelope(tag, to: Fixture.bob), on: a) }
        let login = try hub.logIn(Fixture.bob, on: b)
        #expect(deliveries(login) == [Fixture.id(1), Fixture.id(2)])
        // Bob's store fails: he acknowledges nothing. The window's two come again, in order, on the same connection.
        let again = run(&hub, until: Fixture.start + .seconds(15))
        #expect(again.flatMap { deliveries($0.1) } == [Fixture.id(1), Fixture.id(2)])
        #expect(again.allSatisfy { $0.1.allSatisfy { if case .deliverStored(b, _) = $0 { true } else { false } } })
        // He recovers and acknowledges them: the window moves on to the rest.
        let acked = hub.receive(
            b,
            bytes: RelayMessage.ack([Fixture.id(1), Fixture.id(2)]).encoded(),
            now: Fixture.start + .seconds(16)
        )
        #expect(deliveries(acked) == [Fixture.id(3), Fixture.id(4)])
    }

    /// A live delivery (sequence 1) and a stored one (2, over the live window) in flight together come again in
    /// sequence order, not grouped by kind.
    @Test func liveAndStoredDeliveriesComeAgainInSequenceOrder() throws {
        var limits = limits(window: 2)
        limits.liveWindowBytes = 8
        var hub = Fixture.hub(limits)
        try hub.logIn(Fixture.alice, on: a)
        try hub.logIn(Fixture.bob, on: b)
        let live = Fixture.envelope(1, to: Fixture.bob)
        let stored = Fixture.envelope(2, to: Fixture.bob)
        #expect(deliveries(hub.send(live, on: a)) == [live.id])
        #expect(deliveries(hub.send(stored, on: a)) == [stored.id])
        let again = run(&hub, until: Fixture.start + .seconds(15)).flatMap(\.1)
        let delivery = DeliveredEnvelope(id: live.id, sender: Fixture.alice.nodeID, sequence: 1, payload: live.payload)
        let meta = StoredEnvelopeMeta(
            sequence: 2,
            id: stored.id,
            sender: Fixture.alice.nodeID,
            recipient: Fixture.bob.nodeID,
            byteCount: 8,
            expiresAt: Fixture.start + .seconds(7 * 24 * 3600)
        )
        #expect(again == [.send(b, .deliver(delivery)), .deliverStored(b, [meta])])
    }

    @Test func anOfflineRecipientsEnvelopesWaitForItsLoginAndAreNotRedeliveredToNobody() throws {
        var hub = Fixture.hub(limits())
        try hub.logIn(Fixture.alice, on: a)
        try hub.logIn(Fixture.bob, on: b)
        _ = hub.send(Fixture.envelope(1, to: Fixture.bob), on: a)
        // Bob goes away before acknowledging: the delivery waits again (persisted, as it was live).
        #expect(persisted(hub.disconnect(b, now: Fixture.start + .seconds(1))).map(\.meta.id) == [Fixture.id(1)])
        #expect(run(&hub, until: Fixture.start + .seconds(120)).allSatisfy { deliveries($0.1).isEmpty })
        #expect(hub.redeliveries == 0)
        // His next login delivers it at once.
        let login = try hub.logIn(Fixture.bob, on: ConnectionID(3), now: Fixture.start + .seconds(121))
        #expect(deliveries(login) == [Fixture.id(1)])
    }

    @Test func anAckWaitFromAnyConfigurationIsClampedToADay() {
        var limits = RelayLimits()
        for seconds in [0, -5, .infinity, .nan, 1e300] {
            limits.ackWaitSeconds = seconds
            let wait = RelayHub<SeededRandom>.ackWait(limits)
            #expect(wait > .zero && wait <= .seconds(86_400))
            #expect(RelayHub<SeededRandom>.redeliveryCheckInterval(limits) >= .seconds(1))
        }
    }
}
