import Foundation
import MeshNodeAPI
import MeshPeer
import TestSupport
import Testing

@testable import MeshNode

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `relayTrustRoots` in config.json: a `wss://` relay whose certificate comes from a private CA is reached by a node
/// that trusts that CA, and refused (`tlsFailed`) by one that trusts only the system's roots, and by one that trusts
/// a CA whose certificate names another address. Real processes on
/// 127.0.0.1: a bootstrap node, a relay with its built-in TLS and a self-signed certificate made by openssl, two
/// agents. (The network lab bind-mounted its CA over the system store before this setting existed.)
@Suite(.serialized)
struct RelayTrustRootsProcessTests {
    @Test func aNodeThatTrustsTheRelaysCALogsInAndOneThatDoesNotIsRefused() async throws {
        let mesh = try TestMesh.make("wss-trust")
        defer { try? FileManager.default.removeItem(atPath: mesh.root) }
        do {
            try await mesh.startBootstrap()
            let (certificate, key) = try TestCertificate.make(in: mesh.root, file: "relay")
            let listening = try await mesh.startRelay(
                "relay",
                settings: ["tls": ["certificateChain": certificate, "privateKey": key]]
            )
            let relay = listening.replacingOccurrences(of: "ws://", with: "wss://")
            // A second relay whose certificate, trusted too, names another address: trusting a CA is not trusting
            // every certificate it signed for any host.
            let (elsewhere, elsewhereKey) = try TestCertificate.make(
                in: mesh.root,
                file: "elsewhere",
                name: "relay.example",
                address: "192.0.2.1"
            )
            let misnamed = try await mesh.startRelay(
                "misnamed",
                settings: ["tls": ["certificateChain": elsewhere, "privateKey": elsewhereKey]]
            ).replacingOccurrences(of: "ws://", with: "wss://")
            // Agent `name` on `relay`, trusting the roots in `roots` (nil: the system's only).
            func prepare(_ name: String, on relay: String, trusting roots: String?) async throws {
                var extra = TestMesh.relayOnly
                if let roots { extra["relayTrustRoots"] = roots }
                try await mesh.prepareAgent(
                    name,
                    card: TestMesh.card(name.uppercased(), skills: ["skill-\(name)"]),
                    policy: [:],
                    relays: [relay],
                    extra: extra
                )
            }
            // The agent's relay refuses it as `tlsFailed`, and it never gets a ready relay.
            func expectTLSRefused(_ client: LocalAPIClient, _ what: String) async throws {
                _ = try await TestMesh.eventually(what) { () -> Bool? in
                    try await client.status().relays.contains { ($0.lastError ?? "").hasPrefix("tlsFailed") }
                        ? true : nil
                }
                #expect(try await client.status().relays.allSatisfy { $0.state != "ready" })
            }
            try await prepare("a", on: relay, trusting: certificate)
            try await prepare("b", on: relay, trusting: nil)
            try await prepare("c", on: misnamed, trusting: elsewhere)
            try await mesh.startAgent("a")
            try await mesh.startAgent("b")
            try await mesh.startAgent("c")
            let a = try mesh.client("a")
            _ = try await TestMesh.eventually("a logged in to the wss relay") { () -> Bool? in
                try await a.status().relays.contains { $0.state == "ready" } ? true : nil
            }
            try await expectTLSRefused(try mesh.client("b"), "b refused the relay's certificate")
            try await expectTLSRefused(try mesh.client("c"), "c refused a trusted certificate for another address")
            // Exactly one client authenticated at the relay: a, over TLS.
            let port = try #require(mesh.relayMetricsPort("relay"))
            let (data, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/metrics")!)
            #expect(
                TestMesh.metric("meshpeer_relay_authenticated_clients", in: String(decoding: data, as: UTF8.self)) == 1
            )
        } catch {
            await mesh.stopAll()
            throw error
        }
        await mesh.stopAll()
    }

    @Test func anUnreadableTrustRootsFileIsRefusedByName() throws {
        let home = NSTemporaryDirectory() + "trust-roots-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: home) }
        try Data("not a certificate".utf8).write(to: URL(fileURLWithPath: home + "/ca.pem"))
        for name in ["ca.pem", "missing.pem"] {
            let configuration = try JSONDecoder().decode(
                NodeConfiguration.self,
                from: Data(#"{"relayTrustRoots": "\#(name)"}"#.utf8)
            )
            let error = #expect(throws: ConfigurationError.self) {
                try NodeRunner.relayTrustRoots(configuration, home: home)
            }
            #expect(error?.description.hasPrefix("relayTrustRoots: \(home)/\(name)") == true, "\(name)")
        }
        let empty = #expect(throws: ConfigurationError.self) {
            try JSONDecoder().decode(NodeConfiguration.self, from: Data(#"{"relayTrustRoots": ""}"#.utf8))
        }
        #expect(empty?.description.hasPrefix("relayTrustRoots") == true)
    }
}
