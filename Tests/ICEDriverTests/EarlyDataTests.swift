import ICE
import MeshCore
import NIOPosix
import Testing

@testable import ICEDriver

@Suite("Data that arrives before this side has selected a pair")
struct EarlyDataTests {
    let loopback = IPAddress("127.0.0.1")!

    /// The controlled side selects only after its own triggered check, while the controlling peer sends the moment
    /// it has a pair: that first flight must reach the consumer (which authenticates it), not be dropped.
    @Test("a datagram before any selection reaches incoming", .timeLimit(.minutes(1)))
    func earlyDataIsDelivered() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let session = try await ICESession.start(role: .controlled, hostAddresses: [loopback], group: group)
        let base = try #require(try await session.bases().first)
        let peer = try await UDPSocket.bind(TransportAddress(ip: loopback, port: 0), group: group) { _, _, _ in }
        peer.send([0x80, 9, 9, 9], to: base)
        var iterator = session.incoming.makeAsyncIterator()
        let batch = await iterator.next()
        #expect(batch?.map(\.bytes) == [[0x80, 9, 9, 9]])
        #expect(batch?.first?.from == peer.localAddress)
        await peer.close()
        await session.close()
        try await group.shutdownGracefully()
    }
}
