import Foundation
import MeshCore
import RelayClient
import RelayFallback
import Testing

/// One connection per relay (issue 11, item 4): the pool's homes and its sends to other agents' relays share
/// them, so the relay never replaces one session of the identity with another.
@Suite(.serialized) struct RelayPoolTests {
    @Test func homesAndSendsShareOneConnectionPerRelayAndIdleOnesClose() async throws {
        let directories = (0..<2).map { _ in RelayProcess.temporaryDirectory() }
        defer { for directory in directories { try? FileManager.default.removeItem(atPath: directory) } }
        let home = try await RelayProcess.start(dataDirectory: directories[0])
        let elsewhere = try await RelayProcess.start(dataDirectory: directories[1])
        defer {
            home.cleanUp()
            elsewhere.cleanUp()
        }
        let homeAddress = try #require(RelayAddress(home.address))
        let otherAddress = try #require(RelayAddress(elsewhere.address))
        // Bob is homed at the other relay; carol at alice's home.
        let bob = Collector(identity(222), port: elsewhere.port, relay: elsewhere.publicKey)
        let carol = Collector(identity(223), port: home.port, relay: home.publicKey)
        await bob.start()
        await carol.start()

        var settings = RelayPool.Configuration()
        settings.policy.homeCount = 1
        settings.pingInterval = .milliseconds(200)
        // Long enough that the statuses below still see the on-demand connection on a loaded machine (a full CI
        // run's parallel process pass saw it closed already with 1 s), short enough to watch it close.
        settings.idleTimeout = .seconds(4)
        let alice = RelayPool(
            identity: identity(221),
            candidates: [.init(address: homeAddress, key: home.publicKey)],
            group: testGroup,
            configuration: settings
        )
        let refusals = LockedValue<[RelayRefusal]>([])
        let listener = Task {
            for await event in alice.events {
                if case .refused(let refusal) = event.event { refusals.withLock { $0.append(refusal) } }
            }
        }
        await alice.start()
        #expect(await alice.homes == [homeAddress])
        try await eventually("bob and carol logged in") {
            let first = await bob.isReady
            let second = await carol.isReady
            return first && second
        }

        // To carol through the home connection, to bob through an on-demand connection, several times each.
        for index in 0..<5 {
            let toCarol = await alice.send(
                OutboundEnvelope.numbered(index, to: carol.identity, run: 90),
                via: [RelayRoute.Hop(address: homeAddress, expectedKey: home.publicKey, isOwnHome: true)]
            )
            #expect(toCarol == .accepted(homeAddress, .forwarded))
            let toBob = await alice.send(
                OutboundEnvelope.numbered(index, to: bob.identity, run: 91),
                via: [RelayRoute.Hop(address: otherAddress, expectedKey: elsewhere.publicKey)]
            )
            #expect(toBob == .accepted(otherAddress, .forwarded))
        }
        try await eventually("both have five") {
            let first = await bob.delivered.count
            let second = await carol.delivered.count
            return first == 5 && second == 5
        }
        // Each relay sees alice once: her home connection plus carol, and her send connection plus bob.
        #expect(try home.http("/metrics").body.contains("meshpeer_relay_authenticated_clients 2"))
        #expect(try elsewhere.http("/metrics").body.contains("meshpeer_relay_authenticated_clients 2"))
        let statuses = await alice.statuses
        #expect(statuses.map(\.address) == [homeAddress, otherAddress])
        #expect(statuses.map(\.isHome) == [true, false])
        #expect(statuses.allSatisfy { $0.state == .ready })

        // The connection that is not a home closes once idle; the home stays.
        try await eventually("the idle connection closed", within: .seconds(20)) {
            (try? elsewhere.http("/metrics").body.contains("meshpeer_relay_authenticated_clients 1")) == true
        }
        #expect(await alice.statuses.map(\.address) == [homeAddress])
        #expect(refusals.withLock { $0 }.allSatisfy { $0.code != .sessionReplaced })
        await alice.stop()
        listener.cancel()
        await bob.stop()
        await carol.stop()
    }

    /// Events are bounded; a delivery that did not fit restarts its connection, so the relay delivers it again
    /// (it was never acknowledged) once the reader catches up. Nothing is lost.
    @Test func deliveriesDroppedByAFullEventStreamComeBackOnceTheReaderCatchesUp() async throws {
        let data = RelayProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let relay = try await RelayProcess.start(dataDirectory: data)
        defer { relay.cleanUp() }
        let address = try #require(RelayAddress(relay.address))
        var settings = RelayPool.Configuration()
        settings.policy.homeCount = 1
        settings.eventBufferLimit = 4
        let bob = RelayPool(
            identity: identity(252),
            candidates: [.init(address: address, key: relay.publicKey)],
            group: testGroup,
            configuration: settings
        )
        await bob.start()
        let alice = Collector(identity(251), port: relay.port, relay: relay.publicKey)
        await alice.start()
        try await alice.send((0..<20).map { OutboundEnvelope.numbered($0, to: identity(252), run: 120) })
        try await eventually("alice's envelopes were answered") { await alice.answeredCount() == 20 }
        try await eventually("deliveries were dropped") { await bob.droppedEvents > 0 }

        // Now read, acknowledging each delivery as a node does after its commit.
        var seen: Set<EnvelopeID> = []
        for await event in bob.events {
            guard case .delivered(let envelope) = event.event else { continue }
            seen.insert(envelope.id)
            await bob.acknowledge([envelope.id], relay: event.relay)
            if seen.count == 20 { break }
        }
        #expect(seen.count == 20)
        try await eventually("the relay let everything go") {
            (try? relay.http("/metrics").body.contains("meshpeer_relay_held_envelopes 0")) == true
        }
        await bob.stop()
        await alice.stop()
    }

    /// A hop that is down is passed over for the next one, with its reason; once known down, without waiting.
    @Test func aSendSkipsAHopThatIsDownAndUsesTheNext() async throws {
        let data = RelayProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let relay = try await RelayProcess.start(dataDirectory: data)
        defer { relay.cleanUp() }
        let up = try #require(RelayAddress(relay.address))
        let down = RelayAddress(host: "127.0.0.1", port: try RelayProcess.freePort())
        var settings = RelayPool.Configuration()
        settings.policy.homeCount = 1
        let alice = RelayPool(
            identity: identity(261),
            candidates: [.init(address: up, key: relay.publicKey)],
            group: testGroup,
            configuration: settings
        )
        await alice.start()
        let hops = [RelayRoute.Hop(address: down), RelayRoute.Hop(address: up, expectedKey: relay.publicKey)]
        let first = await alice.send(OutboundEnvelope.numbered(1, to: identity(262), run: 130), via: hops)
        #expect(first == .accepted(up, .stored))
        let second = await alice.send(OutboundEnvelope.numbered(2, to: identity(262), run: 130), via: hops)
        #expect(second == .accepted(up, .stored))
        let status = try #require(await alice.statuses.first { $0.address == down })
        #expect(status.state == .down && status.lastFailure?.code == .unreachable && !status.isHome)
        let onlyDown = await alice.send(OutboundEnvelope.numbered(3, to: identity(262), run: 130), via: [hops[0]])
        guard case .failed(let attempts) = onlyDown else {
            Issue.record("expected a failure, got \(onlyDown)")
            return
        }
        #expect(attempts.map(\.address) == [down])
        #expect(attempts.first?.failure?.code == .unreachable)
        await alice.stop()
    }
}
