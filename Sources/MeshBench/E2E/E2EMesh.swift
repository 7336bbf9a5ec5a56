import Foundation
import MeshCore
import MeshNode
import MeshNodeAPI
import MeshPeer
import NIOCore

/// The mesh `meshbench e2e` measures, as real processes on 127.0.0.1 through `LocalMesh`: one DHT bootstrap node,
/// two relays for the messaging agents (per-sender limits raised, as `meshbench relay` does, because the bare
/// forwarder they are compared with has none), `agents` nodes that accept every knock, and the measured node
/// ("idle") whose two home relays keep their default limits, so a knock flood meets the relay's real defences
/// (or, with `--open-flood-relays`, none of them, so the flood tests the node's own gate).
struct E2EMesh: Sendable {
    let mesh: LocalMesh
    let agents: [String]
    let dids: [String: String]
    static let idle = "idle"
    /// The messaging agents' two relays, then the idle node's two.
    static let relayNames = ["relay-a", "relay-b", "relay-c", "relay-d"]

    /// `meshpeer` beside this executable (`swift build -c release --product meshpeer` puts it there).
    static func meshpeerBinary() throws -> String {
        let url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("meshpeer")
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            throw BenchError(
                "\(url.path) is missing: run `swift build -c release --product meshpeer` first (meshbench starts it)"
            )
        }
        return url.path
    }

    /// The node's own defaults for publishing (LocalMesh's devnet values republish every 20 s, which would
    /// inflate the idle figures).
    static var nodeDefaults: [String: Any] { ["republishSeconds": 600, "recordTTLSeconds": 1_800] }

    /// The measured node's relays with every per-sender and first-contact limit lifted (`--open-flood-relays`), so
    /// the whole flood reaches the node's own gate.
    static var openFloodLimits: [String: Any] {
        [
            "senderEnvelopesPerSecond": 1e9, "senderEnvelopeBurst": 1e9, "senderBytesPerSecond": 1e12,
            "senderByteBurst": 1e12, "firstContactMaximumCount": 1_000_000, "firstContactMaximumBytes": 1 << 40,
            "mailboxMaximumCount": 1_000_000,
        ]
    }

    /// `--path`: `relay` keeps every conversation on the relays; `direct` lets every agent upgrade; `auto` keeps
    /// agent0 and agent1 (the relay throughput pair) on the relays and lets the others upgrade, so one run measures
    /// both paths.
    enum PathChoice: String, Sendable, CaseIterable {
        case relay, direct, auto
    }

    /// The agents whose conversations may go direct under `choice`.
    static func directAgents(_ agents: [String], _ choice: PathChoice) -> Set<String> {
        switch choice {
        case .relay: []
        case .direct: Set(agents)
        case .auto: Set(agents.dropFirst(2))
        }
    }

    static func start(
        agents count: Int,
        path: PathChoice = .auto,
        openFloodRelays: Bool,
        root: String,
        group: any EventLoopGroup
    ) async throws -> E2EMesh {
        let mesh = LocalMesh(executable: try meshpeerBinary(), root: root, group: group)
        do {
            try await mesh.startBootstrap()
            let open: [String: Any] = [
                "senderEnvelopesPerSecond": 1e9, "senderEnvelopeBurst": 1e9, "senderBytesPerSecond": 1e12,
                "senderByteBurst": 1e12,
            ]
            let fast = [
                try await mesh.startRelay(relayNames[0], limits: open),
                try await mesh.startRelay(relayNames[1], limits: open),
            ]
            let limits = openFloodRelays ? openFloodLimits : [:]
            let guarded = [
                try await mesh.startRelay(relayNames[2], limits: limits),
                try await mesh.startRelay(relayNames[3], limits: limits),
            ]
            let agents = (0..<count).map { "agent\($0)" }
            let direct = directAgents(agents, path)
            for name in agents {
                var extra = nodeDefaults
                extra["direct"] = ["mode": direct.contains(name) ? "auto" : "relay"]
                try await mesh.prepareAgent(
                    name,
                    card: card(name),
                    policy: ["default": "accept"],
                    relays: fast,
                    extra: extra
                )
            }
            try await mesh.prepareAgent(
                idle,
                card: card(idle),
                policy: ["default": "hold"],
                relays: guarded,
                extra: nodeDefaults
            )
            var dids: [String: String] = [:]
            for name in agents + [idle] {
                dids[name] = try await mesh.startAgent(name).did
            }
            let ready = E2EMesh(mesh: mesh, agents: agents, dids: dids)
            try await ready.waitUntilJoined()
            return ready
        } catch {
            await mesh.stopAll()
            throw error
        }
    }

    /// Every node published its record and has two home relays logged in, and each record can be found.
    func waitUntilJoined() async throws {
        for name in agents + [Self.idle] {
            let client = try self.client(name)
            _ = try await eventually("\(name) to publish and log in to two home relays", timeout: .seconds(120)) {
                let status = try await client.status()
                let homes = status.relays.filter { $0.home && $0.state == "ready" }.count
                return status.published && homes >= 2 ? true : nil
            }
        }
        // Looked up from the measured node, which knocks on nobody: the agents' own lookups stay cold.
        let probe = try client(Self.idle)
        for name in agents {
            let did = dids[name]!
            _ = try await eventually("\(name)'s record in the DHT", timeout: .seconds(60)) {
                try await probe.find(did: did).first
            }
        }
    }

    func client(_ name: String) throws -> BenchAPI { BenchAPI(client: try mesh.client(name)) }

    static func card(_ name: String) -> [String: Any] {
        [
            "name": name, "description": "\(name), a meshbench agent.", "version": "1.0.0",
            "defaultInputModes": ["text/plain"], "defaultOutputModes": ["text/plain"],
            "capabilities": [:] as [String: Any], "supportedInterfaces": [] as [Any],
            "skills": [["id": "bench", "name": "bench", "description": "Benchmarks.", "tags": ["bench"]]],
        ]
    }
}

/// Milliseconds elapsed since `start` on the monotonic clock.
func milliseconds(since start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) * 1_000 + Double(elapsed.components.attoseconds) / 1e15
}

func quantile(_ values: [Double], _ fraction: Double) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return 0 }
    return sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
}

/// Runs `body`, failing with `what` if it takes longer than `timeout` (the body is cancelled then).
func withDeadline<T: Sendable>(
    _ timeout: Duration,
    _ what: String,
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await MeshCore.withDeadline(timeout, timedOut: { BenchError("timed out after \(timeout): \(what)") }, body)
}
