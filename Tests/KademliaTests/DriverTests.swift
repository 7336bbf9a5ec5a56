import ICE
import Kademlia
import KademliaDriver
import MeshCore
import NIOCore
import NIOPosix
import Testing

/// Real UDP sockets on 127.0.0.1 (no privileges, no lab).
@Suite struct DriverTests {
    func start(
        _ seed: UInt64,
        group: any EventLoopGroup,
        host: String = "127.0.0.1",
        stun: STUNHandler? = nil,
        events: AsyncStream<KademliaEvent>.Continuation? = nil
    ) async throws -> KademliaUDPDriver {
        let key = Fixture.identity(seed).signingKey
        var sink: (@Sendable (KademliaEvent) -> Void)?
        if let events {
            sink = { event in events.yield(event) }
        }
        return try await KademliaUDPDriver.start(
            listen: [try SocketAddress(ipAddress: host, port: 0)],
            group: group,
            stunHandler: stun,
            eventSink: sink
        ) { now in KademliaNode(signingKey: key, random: SeededRandom(seed: seed), now: now) }
    }

    /// Awaits the driver's first verified contact (the `contactAdded` event), failing after `seconds`.
    func firstContact(_ events: AsyncStream<KademliaEvent>, within seconds: Int = 10) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                for await event in events {
                    if case .contactAdded = event { return true }
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

    @Test func twoDriversPublishAndFindOverLoopback() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let (events, continuation) = AsyncStream.makeStream(of: KademliaEvent.self)
        let a = try await start(1, group: group, events: continuation)
        let b = try await start(2, group: group)
        let socketB = try #require(b.localAddresses.first)
        let addressB = try #require(TransportAddress(socketB))
        try await a.perform { core, now in core.bootstrap(from: [addressB], now: now) }
        // The verified round trip is an event: await it (bounded), then check the table.
        #expect(await firstContact(events))
        #expect(try await a.perform { core, _ in core.routingTable.count } == 1)
        let published = try await a.query(orThrow: { core, now in
            try core.publishAgentRecord(agentCard: Array("{}".utf8), now: now)
        })
        guard case .publishFinished(let result) = published else {
            Issue.record("expected a publish result, got \(published)")
            return
        }
        #expect(result.accepted == 1)
        let did = Fixture.identity(1).did
        let found = await b.query { core, now in core.getAgentRecord(did: did, now: now) }
        guard case .lookupFinished(let lookup) = found else {
            Issue.record("expected a lookup result")
            return
        }
        #expect(lookup.agentRecord?.did == did)
        await a.shutdown()
        await b.shutdown()
        try await group.shutdownGracefully()
    }

    @Test func ipv6SocketsCarryTheProtocolToo() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let (events, continuation) = AsyncStream.makeStream(of: KademliaEvent.self)
        let a = try await start(4, group: group, host: "::1", events: continuation)
        let b = try await start(5, group: group, host: "::1")
        let socketB = try #require(b.localAddresses.first)
        let addressB = try #require(TransportAddress(socketB))
        #expect(!addressB.isIPv4)
        try await a.perform { core, now in core.bootstrap(from: [addressB], now: now) }
        #expect(await firstContact(events))
        #expect(try await a.perform { core, _ in core.routingTable.count } == 1)
        await a.shutdown()
        await b.shutdown()
        try await group.shutdownGracefully()
    }

    @Test func stunDatagramsGoToTheSTUNHandlerAndCanBeAnswered() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let driver = try await start(3, group: group) { datagram, source, replier in
            // Echo with the first byte changed, as a binding response would be.
            replier.send([0x01, 0x01] + datagram.dropFirst(2), to: source)
        }
        let received = group.next().makePromise(of: [UInt8].self)
        let client = try await DatagramBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(FirstDatagram(promise: received))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        // A STUN binding request: type 0x0001, length 0, magic cookie, 12-byte transaction ID.
        let request: [UInt8] = [0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xA4, 0x42] + [UInt8](repeating: 7, count: 12)
        #expect(STUNMessage.looksLikeSTUN(request))
        #expect(!STUNMessage.looksLikeSTUN(Frame(type: 0x0300, payload: [UInt8](repeating: 0, count: 20)).encoded()))
        // Sent first: STUN's top bits and cookie, but a length of 1 that is neither a multiple of 4 nor what
        // follows. The port's old sniffer took it for STUN and handed it to the handler, whose echo would then be
        // the first reply below; the one sniffer leaves it to the DHT core, which drops it as malformed.
        let lookalike: [UInt8] = [0x00, 0x01, 0x00, 0x01, 0x21, 0x12, 0xA4, 0x42] + [UInt8](repeating: 9, count: 12)
        let target = try #require(driver.localAddresses.first)
        for datagram in [lookalike, request] {
            try await client.writeAndFlush(
                AddressedEnvelope(remoteAddress: target, data: client.allocator.buffer(bytes: datagram))
            ).get()
        }
        let reply = try await received.futureResult.get()
        #expect(reply == [0x01, 0x01] + request.dropFirst(2))
        // The DHT core saw the look-alike and only it (bounded poll: the driver hands datagrams on asynchronously).
        var counted = 0
        for _ in 0..<200 where counted == 0 {
            counted = try await driver.perform { core, _ in core.counters.received }
            if counted == 0 { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(counted == 1)
        try await client.close()
        await driver.shutdown()
        try await group.shutdownGracefully()
    }
}

final class FirstDatagram: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let promise: EventLoopPromise<[UInt8]>

    init(promise: EventLoopPromise<[UInt8]>) { self.promise = promise }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        promise.succeed(Array(unwrapInboundIn(data).data.readableBytesView))
    }
}
