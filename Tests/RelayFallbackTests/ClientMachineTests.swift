import MeshCore
import Testing

@testable import RelayFallback

/// Client machines wired to a hub in memory: the whole protocol without sockets.
struct Loopback {
    var hub = Fixture.hub()
    var clients: [ConnectionID: RelayClientMachine<SeededRandom>] = [:]
    var connected: Set<ConnectionID> = []
    var delivered: [ConnectionID: [DeliveredEnvelope]] = [:]
    var events: [ConnectionID: [RelayClientEvent]] = [:]
    var stored: [UInt64: StoredEnvelope] = [:]
    var now = Fixture.start
    /// Owners that acknowledge nothing (the others acknowledge every delivery at once, as a node does after
    /// its commit).
    var withholdingAcks: Set<ConnectionID> = []

    mutating func add(_ identity: AgentIdentity, as id: ConnectionID) {
        var machine = RelayClientMachine(
            identity: identity,
            expectedRelay: Fixture.relay.publicKey,
            random: SeededRandom(seed: id.value)
        )
        machine.start()
        clients[id] = machine
        pump()
    }

    /// Runs until nothing moves. Connection IDs are reused per client for simplicity.
    mutating func pump() {
        var moved = true
        while moved {
            moved = false
            for id in clients.keys.sorted() {
                while let action = clients[id]!.pollAction() {
                    moved = true
                    switch action {
                    case .connect:
                        connected.insert(id)
                        clients[id]!.connectionOpened()
                        perform(hub.connect(id, source: "127.0.0.1", now: now))
                    case .transmit(let bytes):
                        perform(hub.receive(id, bytes: bytes, now: now))
                    case .disconnect:
                        drop(id)
                    }
                }
                var committed: [EnvelopeID] = []
                while let event = clients[id]!.pollEvent() {
                    if case .delivered(let envelope) = event {
                        delivered[id, default: []].append(envelope)
                        committed.append(envelope.id)
                    }
                    events[id, default: []].append(event)
                }
                if !committed.isEmpty && !withholdingAcks.contains(id) {
                    clients[id]!.acknowledge(committed)
                    moved = true
                }
            }
        }
    }

    mutating func drop(_ id: ConnectionID) {
        guard connected.remove(id) != nil else { return }
        perform(hub.disconnect(id, now: now))
        clients[id]!.connectionClosed(now: now)
    }

    mutating func perform(_ actions: [RelayHubAction]) {
        for action in actions {
            switch action {
            case .send(let id, let message):
                if connected.contains(id) { clients[id]!.received(message.encoded()) }
            case .close(let id):
                drop(id)
            case .persist(let envelopes):
                for envelope in envelopes { stored[envelope.meta.sequence] = envelope }
            case .delete(let ids):
                stored = stored.filter { !ids.contains($0.value.meta.id) }
            case .remember:
                continue
            case .deliverStored(let id, let metas):
                for meta in metas {
                    guard let envelope = stored[meta.sequence] else { continue }
                    let delivery = DeliveredEnvelope(
                        id: meta.id,
                        sender: meta.sender,
                        sequence: meta.sequence,
                        payload: envelope.payload
                    )
                    if connected.contains(id) { clients[id]!.received(RelayMessage.deliver(delivery).encoded()) }
                }
            }
        }
    }
}

@Suite struct ClientMachineTests {
    let a = ConnectionID(1)
    let b = ConnectionID(2)

    @Test func twoClientsExchangeEnvelopesThroughTheHub() {
        var net = Loopback()
        net.add(Fixture.alice, as: a)
        net.add(Fixture.bob, as: b)
        #expect(net.clients[a]!.isReady && net.clients[b]!.isReady)
        let sentByAlice = net.clients[a]!.send(Fixture.envelope(1, to: Fixture.bob))
        let sentByBob = net.clients[b]!.send(Fixture.envelope(2, to: Fixture.alice))
        #expect(sentByAlice && sentByBob)
        net.pump()
        #expect(net.delivered[b]?.map(\.id) == [Fixture.id(1)])
        #expect(net.delivered[a]?.map(\.id) == [Fixture.id(2)])
        #expect(net.events[a]?.contains(.accepted(Fixture.id(1), .forwarded)) == true)
        #expect(net.clients[a]!.unacknowledgedSendCount == 0)
        #expect(net.hub.heldCount == 0)
    }

    @Test func aPingIsAnsweredWithItsTokenAndReportsWhenItWasSent() {
        var net = Loopback()
        net.add(Fixture.alice, as: a)
        let sentAt = net.now + .milliseconds(5)
        let first = net.clients[a]!.ping(now: sentAt)
        let second = net.clients[a]!.ping(now: sentAt)
        #expect(first && !second, "one ping outstanding at a time")
        net.pump()
        #expect(net.events[a]?.last == .pong(sentAt: sentAt))
        #expect(net.clients[a]!.pollTimeout() == nil)
    }

    @Test func anUnansweredPingEndsTheConnectionAndAPingBeforeLoginIsRefused() {
        var machine = RelayClientMachine(identity: Fixture.alice, random: SeededRandom(seed: 1))
        let early = machine.ping(now: Fixture.start)
        #expect(!early, "no ping before login")
        var net = Loopback()
        net.add(Fixture.alice, as: a)
        let sent = net.clients[a]!.ping(now: net.now)
        #expect(sent)
        // The pong never comes back: the adapter lost it.
        _ = net.clients[a]!.pollAction()
        let deadline = net.now + RelayClientMachine<SeededRandom>.pingTimeout
        #expect(net.clients[a]!.pollTimeout() == deadline)
        net.clients[a]!.handleTimeout(now: deadline)
        let action = net.clients[a]!.pollAction()
        #expect(action == .disconnect)
        var hub = Fixture.hub()
        _ = hub.connect(b, source: "127.0.0.1", now: Fixture.start)
        let refused = hub.receive(b, bytes: RelayMessage.ping(1).encoded(), now: Fixture.start)
        #expect(refused.contains { if case .close = $0 { true } else { false } })
    }

    @Test func anOfflineRecipientGetsEverythingInOrderOnceOnReconnect() {
        var net = Loopback()
        net.add(Fixture.alice, as: a)
        for tag in UInt8(1)...200 { _ = net.clients[a]!.send(Fixture.envelope(tag, to: Fixture.bob)) }
        net.pump()
        #expect(net.stored.count == 200)
        net.add(Fixture.bob, as: b)
        #expect(net.delivered[b]?.map(\.id) == (UInt8(1)...200).map { Fixture.id($0) })
        #expect(net.stored.isEmpty)
    }

    @Test func unansweredSendsAreResentAfterReconnectAndStoredOnce() {
        var net = Loopback()
        net.add(Fixture.alice, as: a)
        net.drop(a)
        let queued = net.clients[a]!.send(Fixture.envelope(1, to: Fixture.bob))
        #expect(queued)
        let retry = try! #require(net.clients[a]!.pollTimeout())
        net.now = retry
        net.clients[a]!.handleTimeout(now: retry)
        net.pump()
        #expect(net.stored.count == 1)
        #expect(net.clients[a]!.unacknowledgedSendCount == 0)
    }

    @Test func backoffGrowsAndIsJitteredWithinItsBounds() {
        let policy = BackoffPolicy(initial: .seconds(1), maximum: .seconds(8))
        var random = SeededRandom(seed: 7)
        let delays = (0..<6).map { policy.delay(attempt: $0, random: &random) }
        let caps: [Int64] = [1, 2, 4, 8, 8, 8]
        for (delay, cap) in zip(delays, caps) {
            #expect(delay >= .milliseconds(cap * 500) && delay <= .seconds(cap))
        }
        var again = SeededRandom(seed: 7)
        #expect((0..<6).map { policy.delay(attempt: $0, random: &again) } == delays)
    }

    @Test func tokenBucketRefillsFromTheInstantsItIsGiven() {
        var bucket = TokenBucket(ratePerSecond: 2, capacity: 4, now: Fixture.start)
        var results: [Bool] = []
        for _ in 0..<5 { results.append(bucket.take(1, now: Fixture.start)) }
        results.append(bucket.take(1, now: Fixture.start + .milliseconds(500)))
        results.append(bucket.take(1, now: Fixture.start + .milliseconds(500)))
        results.append(bucket.take(1, now: Fixture.start))
        #expect(results == [true, true, true, true, false, true, false, false])
        #expect(bucket.isFull(now: Fixture.start + .seconds(10)))
    }
}
