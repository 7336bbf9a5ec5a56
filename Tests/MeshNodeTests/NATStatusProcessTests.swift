import Foundation
import MeshCore
import MeshNode
import MeshNodeAPI
import MeshPeer
import Testing

/// A real `meshpeer run` node classifies its NAT (decision 0101) against the real DHT nodes it joined on 127.0.0.1
/// (a bootstrap node and a relay's DHT node, which answer STUN on their DHT ports), and reports it in
/// `GET /v1/status` and on the dashboard's network panel. On loopback there is no NAT: the servers see the
/// address the probe bound, so the class is `open`, measured by two servers.
@Suite(.serialized)
struct NATStatusProcessTests {
    @Test func aNodeReportsItsNATClassWithItsCertainty() async throws {
        let mesh = try TestMesh.make("nat")
        defer { try? FileManager.default.removeItem(atPath: mesh.root) }
        do {
            try await mesh.startBootstrap()
            let relay = try await mesh.startRelay("relay")
            try await mesh.prepareAgent(
                "watcher",
                card: TestMesh.card("Watcher", skills: ["watch"]),
                policy: [:],
                relays: [relay]
            )
            try await mesh.startAgent("watcher")
            let client = try mesh.client("watcher")
            let nat = try await TestMesh.eventually("a fully certain NAT class in the status", timeout: .seconds(60)) {
                try await client.status().nat.flatMap { $0.certainty == "full" ? $0 : nil }
            }
            #expect(nat.natClass == "open")
            #expect(nat.serversAnswered >= 2)
            #expect(nat.serversAsked >= nat.serversAnswered)
            #expect(nat.publicAddress?.hasPrefix("127.0.0.1:") == true)
            print(
                "{\"scenario\":\"nat-status\",\"class\":\"\(nat.natClass)\",\"certainty\":\"\(nat.certainty)\","
                    + "\"servers_answered\":\(nat.serversAnswered)}"
            )
        } catch {
            await mesh.stopAll()
            throw error
        }
        await mesh.stopAll()
    }
}
