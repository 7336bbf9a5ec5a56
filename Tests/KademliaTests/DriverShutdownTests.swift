import Kademlia
import KademliaDriver
import MeshCore
import NIOCore
import NIOPosix
import Testing

/// Shutting the driver down ends the queries in flight (issue 17): real UDP sockets on 127.0.0.1, a peer that has
/// gone silent, and timeouts of a minute so only the shutdown can end the lookup within the test's bound.
@Suite struct DriverShutdownTests {
    func start(_ seed: UInt64, group: any EventLoopGroup) async throws -> KademliaUDPDriver {
        let key = Fixture.identity(seed).signingKey
        var config = KademliaConfig()
        config.requestTimeout = .seconds(60)
        config.lookupTimeout = .seconds(60)
        return try await KademliaUDPDriver.start(
            listen: [try SocketAddress(ipAddress: "127.0.0.1", port: 0)],
            group: group
        ) { [config] now in KademliaNode(signingKey: key, config: config, random: SeededRandom(seed: seed), now: now) }
    }

    /// Polls `condition` on the driver's loop every 20 ms, up to `seconds`.
    func eventually(_ seconds: Double, _ condition: @escaping @Sendable () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    @Test func shutdownEndsALookupWaitingOnASilentPeer() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let a = try await start(1, group: group)
        let b = try await start(2, group: group)
        let addressB = try #require(b.localAddresses.first.flatMap(TransportAddress.init))
        try await a.perform { core, now in core.bootstrap(from: [addressB], now: now) }
        #expect(try await eventually(10) { try await a.perform { core, _ in core.routingTable.count } == 1 })
        // B stops listening: A's request to it will never be answered (and times out only after 60 s).
        await b.shutdown()
        let target = Fixture.id([0xAB])
        // Unstructured, so a lookup that never returns fails the bounded wait below instead of hanging the test.
        let finished = LockedValue<KademliaEvent?>(nil)
        Task {
            let event = await a.query { core, now in core.findNode(target, now: now) }
            finished.withLock { $0 = event }
        }
        // The request to B is out before the shutdown, so the lookup really is waiting on the silent peer.
        #expect(try await eventually(10) { try await a.perform { core, _ in core.pendingRequests } > 0 })
        #expect(finished.withLock { $0 } == nil)
        await a.shutdown()
        // The lookup's own timeouts are a minute away: only the shutdown can end it within these 5 s.
        #expect(try await eventually(5) { finished.withLock { $0 } != nil })
        let event = finished.withLock { $0 }
        guard case .lookupFinished(let result) = event else {
            Issue.record("expected a lookup result, got \(String(describing: event))")
            return
        }
        #expect(result.timedOut)
        #expect(result.target == target)
        // A query started after the shutdown ends at once too.
        let late = await a.query { core, now in core.getProviders(target, now: now) }
        guard case .lookupFinished(let lateResult) = late else {
            Issue.record("expected a lookup result, got \(late)")
            return
        }
        #expect(lateResult.timedOut || lateResult.closest.isEmpty)
        try await group.shutdownGracefully()
    }
}
