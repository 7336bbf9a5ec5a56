import ICE
import ICEDriver
import MeshCore
import NIOPosix
import Testing

@Suite("ICE driver on loopback sockets")
struct LoopbackTests {
    let loopback = IPAddress("127.0.0.1")!

    @Test("two sessions gather through a STUN server, select a pair and exchange application data")
    func connects() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await STUNServer.start(primary: TransportAddress(ip: loopback, port: 0), group: group)
        let stun = [server.sockets[0].localAddress]
        let a = try await ICESession.start(
            role: .controlling,
            hostAddresses: [loopback],
            stunServers: stun,
            group: group
        )
        let b = try await ICESession.start(
            role: .controlled,
            hostAddresses: [loopback],
            stunServers: stun,
            group: group
        )
        let offer = try await a.localDescription()
        let answer = try await b.localDescription()
        // On loopback the reflexive address equals the host address, so only host candidates are offered.
        #expect(offer.parsedCandidates.map(\.kind) == [.host])
        try await b.setRemote(offer)
        try await a.setRemote(answer)
        let selectedA = await firstSelection(a.events)
        let selectedB = await firstSelection(b.events)
        #expect(selectedA?.remote == answer.parsedCandidates.first?.address)
        #expect(selectedB?.remote == offer.parsedCandidates.first?.address)
        #expect((selectedA?.elapsed ?? .seconds(9)) < .seconds(1))
        #expect(try await a.send([0x80, 1, 2, 3]))
        var iterator = b.incoming.makeAsyncIterator()
        #expect(await iterator.next()?.map(\.bytes) == [[0x80, 1, 2, 3]])
        await a.close()
        await b.close()
        await server.close()
        try await group.shutdownGracefully()
    }

    @Test("IPv6: a STUN server on ::1 gives the right XOR-MAPPED-ADDRESS and two sessions connect over ::1")
    func ipv6() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let v6 = IPAddress("::1")!
        let server = try await STUNServer.start(primary: TransportAddress(ip: v6, port: 0), group: group)
        let report = try await NATCheck.run(
            servers: [server.sockets[0].localAddress],
            bind: TransportAddress(ip: v6, port: 0),
            group: group
        )
        #expect(report.natClass == .open)
        #expect(report.publicAddress?.hasPrefix("[::1]:") == true)
        let a = try await ICESession.start(role: .controlling, hostAddresses: [v6], group: group)
        let b = try await ICESession.start(role: .controlled, hostAddresses: [v6], group: group)
        try await b.setRemote(try await a.localDescription())
        try await a.setRemote(try await b.localDescription())
        let selected = await firstSelection(a.events)
        #expect(selected?.remote.ip == v6)
        await a.close()
        await b.close()
        await server.close()
        try await group.shutdownGracefully()
    }

    @Test("nat-check on loopback: no NAT, and the four-socket server lets it measure filtering")
    func natCheck() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await STUNServer.start(
            primary: TransportAddress("127.0.0.1:0")!,
            alternateIP: IPAddress("127.0.0.2")!,
            alternatePort: 0,
            group: group
        )
        #expect(server.sockets.count == 4)
        let report = try await NATCheck.run(
            servers: [server.sockets[0].localAddress],
            bind: TransportAddress("127.0.0.1:0")!,
            group: group
        )
        #expect(report.udp)
        #expect(report.natClass == .open)
        #expect(report.filtering == .endpointIndependent)
        // On loopback a datagram to our own "public" address reaches us: hairpinning.
        #expect(report.hairpinning == true)
        #expect(report.servers.first?.mapped != nil)
        await server.close()
        try await group.shutdownGracefully()
    }

    func firstSelection(
        _ events: AsyncStream<ICEEvent>
    ) async -> (local: TransportAddress, remote: TransportAddress, elapsed: Duration)? {
        for await event in events {
            switch event {
            case .selected(let local, let remote, let elapsed): return (local, remote, elapsed)
            case .failed: return nil
            default: continue
            }
        }
        return nil
    }
}
