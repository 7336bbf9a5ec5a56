import Kademlia
import KademliaDriver
import MeshCore
import NIOCore
import NIOPosix
import Testing

/// `LANDiscovery.start` on this host's real interfaces, where the answer does not depend on the host's network:
/// loopback cannot carry multicast, and an address no interface has is named in the error. Discovery itself needs
/// two hosts on a link: `scripts/test.d/31-dht-lan.sh` (IPv4) and `33-dht-lan-ipv6.sh` (IPv6) run it in namespaces.
@Suite struct LANDiscoveryDriverTests {
    func withDriver(_ body: (KademliaUDPDriver) async throws -> Void) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let key = Fixture.identity(40).signingKey
        let driver = try await KademliaUDPDriver.start(
            listen: [try SocketAddress(ipAddress: "127.0.0.1", port: 0)],
            group: group
        ) { now in KademliaNode(signingKey: key, random: SeededRandom(seed: 40), now: now) }
        do { try await body(driver) } catch {
            await driver.shutdown()
            try await group.shutdownGracefully()
            throw error
        }
        await driver.shutdown()
        try await group.shutdownGracefully()
    }

    @Test func loopbackIsRefusedBecauseItCarriesNoMulticast() async throws {
        try await withDriver { driver in
            let error = await #expect(throws: (any Error).self) {
                _ = try await LANDiscovery.start(driver: driver, interface: "127.0.0.1")
            }
            #expect("\(error.map { "\($0)" } ?? "")".contains("does not support multicast"))
        }
    }

    @Test func anAddressNoInterfaceHasIsNamed() async throws {
        try await withDriver { driver in
            for spec in ["192.0.2.222", "2001:db8:ffff::222", "no-such-interface-9"] {
                let error = await #expect(throws: (any Error).self) {
                    _ = try await LANDiscovery.start(driver: driver, interface: spec)
                }
                #expect("\(error.map { "\($0)" } ?? "")".contains(spec))
            }
        }
    }
}
