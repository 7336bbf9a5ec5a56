import Foundation
import Kademlia
import KademliaStore
import MeshCore
import MeshDHT
import MeshNode
import NIOCore
import Testing

/// A DHT node saves its routing table when it shuts down, not only on its 30 s timer, so a node stopped soon after
/// joining rejoins through the contacts it had.
@Suite struct DHTSnapshotTests {
    @Test func shutdownSavesTheRoutingTable() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dht-snap-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("dht.sqlite").path
        var random = SystemRandom()
        let loopback = try SocketAddress(ipAddress: "127.0.0.1", port: 0)
        let seed = try await DHTNode.start(
            signingKey: AgentIdentity.generate(using: &random).signingKey,
            listen: [loopback],
            seeds: [],
            storePath: nil,
            group: TestMesh.group
        )
        let seedAddress = try #require(seed.driver.localAddresses.compactMap { TransportAddress($0) }.first)
        let node = try await DHTNode.start(
            signingKey: AgentIdentity.generate(using: &random).signingKey,
            listen: [loopback],
            seeds: [seedAddress],
            storePath: path,
            group: TestMesh.group
        )
        _ = try await TestMesh.eventually("the seed in the routing table", timeout: .seconds(20)) {
            await node.contactCount() > 0 ? true : nil
        }
        await node.shutdown()
        await seed.shutdown()
        #expect(node.store?.health.isHealthy == true)
        let reopened = try SQLiteRecordStore(path: path)
        #expect(try reopened.loadContacts().map(\.address) == [seedAddress])
    }
}
