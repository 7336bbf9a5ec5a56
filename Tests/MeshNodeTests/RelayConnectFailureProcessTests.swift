import Foundation
import MeshNode
import MeshNodeAPI
import MeshPeer
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A `wss://` relay that answers in clear (what a TLS-stripping attacker looks like to the agent) is refused, and
/// the agent says so where its owner looks: `meshpeer_relay_connect_failures_total{code="tlsFailed"}` in its
/// `/metrics` and the relay's `last_error` in its status (decision 0104). Real processes on 127.0.0.1: a bootstrap
/// node, a plaintext relay, and an agent configured with that relay's address as `wss://`. The network lab's `tls`
/// scenario (scripts/lib/netlab-onpath.sh) does the same through a DNAT, with another CA's certificate too.
@Suite(.serialized)
struct RelayConnectFailureProcessTests {
    /// The value of `name{label}` in Prometheus text (0 when absent).
    static func labelled(_ name: String, _ label: String, in text: String) -> Int {
        for line in text.split(separator: "\n") where line.hasPrefix(name + "{") && line.contains(label) {
            return Int(Double(line.split(separator: " ").last ?? "") ?? 0)
        }
        return 0
    }

    @Test func aWssRelayThatAnswersInClearIsRefusedCountedAndReported() async throws {
        let mesh = try TestMesh.make("wss-refused")
        defer { try? FileManager.default.removeItem(atPath: mesh.root) }
        do {
            try await mesh.startBootstrap()
            let plain = try await mesh.startRelay("relay")
            let stripped = plain.replacingOccurrences(of: "ws://", with: "wss://")
            try await mesh.prepareAgent(
                "a",
                card: TestMesh.card("A", skills: ["alpha"]),
                policy: [:],
                relays: [stripped],
                extra: TestMesh.relayOnly
            )
            try await mesh.startAgent("a")
            let client = try mesh.client("a")
            let refused = try await TestMesh.eventually("a tlsFailed in the agent's /metrics") { () -> Int? in
                let count = Self.labelled(
                    "meshpeer_relay_connect_failures_total",
                    "code=\"tlsFailed\"",
                    in: try await client.metrics()
                )
                return count > 0 ? count : nil
            }
            #expect(refused >= 1)
            let text = try await client.metrics()
            for other in ["unreachable", "notARelay", "loginRejected"] {
                #expect(Self.labelled("meshpeer_relay_connect_failures_total", "code=\"\(other)\"", in: text) == 0)
            }
            let status = try await client.status()
            #expect(status.relays.contains { ($0.lastError ?? "").hasPrefix("tlsFailed") }, "\(status.relays)")
            #expect(status.relays.allSatisfy { $0.state != "ready" }, "never logged in over plaintext")
            // The relay never saw a client log in: nothing went in clear.
            let port = try #require(mesh.relayMetricsPort("relay"))
            let (data, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/metrics")!)
            #expect(
                TestMesh.metric("meshpeer_relay_authenticated_clients", in: String(decoding: data, as: UTF8.self)) == 0
            )
        } catch {
            await mesh.stopAll()
            throw error
        }
        await mesh.stopAll()
    }
}
