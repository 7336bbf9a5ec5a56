import Kademlia
import KademliaDriver
import MeshCore
import NIOCore
import NIOPosix
import Testing

/// The dual-stack default (issue 16, decision 0099) over real loopback sockets: one node listening on both
/// families serves an IPv6-only peer and an IPv4-only peer, and a host without a usable IPv6 address still starts.
@Suite struct DualStackDriverTests {
    let support = DriverTests()

    func start(
        _ seed: UInt64,
        listen: [String],
        group: any EventLoopGroup,
        events: AsyncStream<KademliaEvent>.Continuation? = nil
    ) async throws -> KademliaUDPDriver {
        let key = Fixture.identity(seed).signingKey
        var sink: (@Sendable (KademliaEvent) -> Void)?
        if let events { sink = { event in events.yield(event) } }
        return try await KademliaUDPDriver.start(
            listen: try listen.map { try TransportAddress.resolve($0).socketAddress },
            group: group,
            eventSink: sink
        ) { now in KademliaNode(signingKey: key, random: SeededRandom(seed: seed), now: now) }
    }

    /// The port the driver's socket of one family got.
    func port(of driver: KademliaUDPDriver, ipv6: Bool) throws -> UInt16 {
        let socket = try #require(driver.localAddresses.first { ($0.protocol == .inet6) == ipv6 })
        return UInt16(try #require(socket.port))
    }

    /// Awaits `count` `contactAdded` events, failing after `seconds`.
    func contacts(_ count: Int, in events: AsyncStream<KademliaEvent>, within seconds: Int = 10) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                var seen = 0
                for await event in events {
                    if case .contactAdded = event { seen += 1 }
                    if seen == count { return true }
                }
                return false
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(seconds))
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    @Test func aNodeOnBothWildcardsServesAnIPv6PeerAndAnIPv4Peer() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        // The shape of the default: 0.0.0.0 and [::] (each family its own socket; here with ephemeral ports).
        let (serverEvents, serverContinuation) = AsyncStream.makeStream(of: KademliaEvent.self)
        let server = try await start(10, listen: ["0.0.0.0:0", "[::]:0"], group: group, events: serverContinuation)
        #expect(server.localAddresses.count == 2)
        #expect(server.unavailableListen.isEmpty)
        let (events6, continuation6) = AsyncStream.makeStream(of: KademliaEvent.self)
        let (events4, continuation4) = AsyncStream.makeStream(of: KademliaEvent.self)
        let client6 = try await start(11, listen: ["[::1]:0"], group: group, events: continuation6)
        let client4 = try await start(12, listen: ["127.0.0.1:0"], group: group, events: continuation4)

        let server6 = try TransportAddress.resolve("[::1]:\(try port(of: server, ipv6: true))")
        let server4 = try TransportAddress.resolve("127.0.0.1:\(try port(of: server, ipv6: false))")
        #expect(!server6.isIPv4 && server4.isIPv4)
        try await client6.perform { core, now in core.bootstrap(from: [server6], now: now) }
        try await client4.perform { core, now in core.bootstrap(from: [server4], now: now) }
        #expect(await support.firstContact(events6))
        #expect(await support.firstContact(events4))
        // The server verified both peers, each over its own family.
        #expect(await contacts(2, in: serverEvents))
        let contacts = try await server.perform { core, _ in core.routingTable.allContacts.map(\.address) }
        #expect(contacts.count == 2)
        #expect(contacts.contains { !$0.isIPv4 } && contacts.contains { $0.isIPv4 })

        // What the IPv6 peer publishes, the IPv4 peer finds through the dual-stack node.
        let published = try await client6.query(orThrow: { core, now in
            try core.publishAgentRecord(agentCard: Array("{}".utf8), now: now)
        })
        guard case .publishFinished(let result) = published else {
            Issue.record("expected a publish result, got \(published)")
            return
        }
        #expect(result.accepted >= 1)
        let did = Fixture.identity(11).did
        let found = await client4.query { core, now in core.getAgentRecord(did: did, now: now) }
        guard case .lookupFinished(let lookup) = found else {
            Issue.record("expected a lookup result, got \(found)")
            return
        }
        #expect(lookup.agentRecord?.did == did)
        for driver in [client6, client4, server] { await driver.shutdown() }
        try await group.shutdownGracefully()
    }

    @Test func anIPv6AddressTheHostDoesNotHaveIsSkippedAndReported() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        // 2001:db8::1 (documentation range) is on no interface here: binding it fails as it does for [::] or
        // ::1 on a host without IPv6 (EADDRNOTAVAIL), and the IPv4 socket carries on alone.
        let driver = try await start(13, listen: ["127.0.0.1:0", "[2001:db8::1]:0"], group: group)
        #expect(driver.localAddresses.count == 1)
        #expect(driver.localAddresses.first?.protocol == .inet)
        #expect(driver.unavailableListen.count == 1)
        #expect(driver.unavailableListen.first?.contains("2001:db8::1") == true, "\(driver.unavailableListen)")
        await driver.shutdown()

        // With nothing else bound, there is no node to run: that is an error, not a note.
        await #expect(throws: DriverError.self) {
            _ = try await start(14, listen: ["[2001:db8::1]:0"], group: group)
        }
        try await group.shutdownGracefully()
    }

    @Test func aTakenIPv6PortIsAnErrorNotANote() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let first = try await start(15, listen: ["[::1]:0"], group: group)
        let taken = try port(of: first, ipv6: true)
        // EADDRINUSE says someone else has the port: carrying on with IPv4 alone would hide it.
        await #expect(throws: DriverError.self) {
            _ = try await start(16, listen: ["127.0.0.1:0", "[::1]:\(taken)"], group: group)
        }
        await first.shutdown()
        try await group.shutdownGracefully()
    }
}
