import Foundation
import MeshCore

/// One side of the race: `nodes` processes of one implementation on 127.0.0.1, every one after the first joined
/// through the first (its network's bootstrap node), each on a port the OS picks.
///
/// - ours: `meshpeer dht serve --ephemeral --stdin-commands`, records and the routing-table snapshot in a SQLite file
///   of its own (as a real node keeps them); joined once a bootstrap node has answered (its table is not empty).
/// - theirs: `scripts/lib/dht-race-peer.py`, one `kademlia.network.Server` per process; joined once
///   `Server.bootstrap` has returned.
///
/// Nodes start a few at a time (`startWave`), so 100 processes do not all start at once on 2 cores.
final class RaceNetwork: Sendable {
    enum Side: String, Sendable { case ours, theirs }

    struct Launcher: Sendable {
        var side: Side
        var executable: String
        /// The arguments for node `index`, given the bootstrap node's port (nil for the first).
        var arguments: @Sendable (_ index: Int, _ bootstrapPort: Int?) -> [String]
    }

    let side: Side
    let peers: [RacePeer]
    /// `kademlia 2.2.3, rpcudp 5.0.1` for theirs; nil for ours.
    let version: String?
    /// Nodes whose table was still empty when the join wait ended: they stay in the race (a lookup from them
    /// fails, as it would for a user), and the report counts them.
    let alone: [String]

    static let startWave = 8
    static let joinTimeout = Duration.seconds(60)
    /// How long a started node may take to hear from its bootstrap node (ours retries a silent seed 3 times
    /// 2 s apart; theirs waits 5 s for its one ping) before it counts as alone.
    static let aloneAfter = Duration.seconds(20)

    private init(side: Side, peers: [RacePeer], version: String?, alone: [String]) {
        self.side = side
        self.peers = peers
        self.version = version
        self.alone = alone
    }

    static func ours(
        meshpeer: String,
        directory: String,
        valueQuorum: Double?,
        alpha: Int?,
        pairTags: Bool
    ) -> Launcher {
        Launcher(side: .ours, executable: meshpeer) { index, bootstrap in
            var arguments = [
                "dht", "serve", "--ephemeral", "--stdin-commands", "--json", "--listen", "127.0.0.1:0",
                "--home", directory + "/ours-home-\(index)", "--store", directory + "/ours-\(index).sqlite",
            ]
            if let bootstrap { arguments += ["--bootstrap", "127.0.0.1:\(bootstrap)"] }
            if let valueQuorum { arguments += ["--value-lookup-quorum", "\(valueQuorum)"] }
            if let alpha { arguments += ["--lookup-parallelism", "\(alpha)"] }
            if !pairTags { arguments.append("--no-pair-tags") }
            return arguments
        }
    }

    static func theirs(python: String, script: String) -> Launcher {
        Launcher(side: .theirs, executable: python) { _, bootstrap in
            [script] + (bootstrap.map { ["--bootstrap", "127.0.0.1:\($0)"] } ?? [])
        }
    }

    /// Starts every node and waits until each has joined or counts as alone; on failure (a node that never says it
    /// is listening), stops what it started and throws.
    static func start(_ launcher: Launcher, nodes: Int, logDirectory: String) async throws -> RaceNetwork {
        var peers: [RacePeer] = []
        var alone: [String] = []
        do {
            let first = try launch(launcher, index: 0, bootstrap: nil, logDirectory: logDirectory)
            peers.append(first)
            let listening = try await first.waitForEvent("listening", timeout: joinTimeout)
            let port = try Self.port(of: listening)
            let version = (listening["kademlia"] as? String).map {
                "kademlia \($0), rpcudp \(listening["rpcudp"] ?? "?")"
            }
            for waveStart in stride(from: 1, to: nodes, by: startWave) {
                let wave = try (waveStart..<min(nodes, waveStart + startWave)).map {
                    try launch(launcher, index: $0, bootstrap: port, logDirectory: logDirectory)
                }
                peers += wave
                alone += try await withThrowingTaskGroup(of: String?.self) { group in
                    for peer in wave {
                        group.addTask { try await joined(peer, side: launcher.side) ? nil : peer.name }
                    }
                    return try await group.reduce(into: []) { if let name = $1 { $0.append(name) } }
                }
            }
            if !alone.isEmpty { RaceVenv.progress("alone (empty routing table after \(aloneAfter)): \(alone)") }
            return RaceNetwork(side: launcher.side, peers: peers, version: version, alone: alone)
        } catch {
            await stop(peers)
            throw error
        }
    }

    static func launch(_ launcher: Launcher, index: Int, bootstrap: Int?, logDirectory: String) throws -> RacePeer {
        let name = "\(launcher.side.rawValue)-\(index)"
        return try RacePeer(
            name: name,
            executable: launcher.executable,
            arguments: launcher.arguments(index, bootstrap),
            logPath: logDirectory + "/\(name).log"
        )
    }

    /// Ours: listening, then (polled, bounded) a non-empty routing table. Theirs: the `joined` line (after
    /// `Server.bootstrap` returned) with a non-empty table. False: the node is up but alone.
    static func joined(_ peer: RacePeer, side: Side) async throws -> Bool {
        switch side {
        case .theirs:
            let joined = try await peer.waitForEvent("joined", timeout: joinTimeout)
            return (joined["contacts"] as? Int ?? 0) > 0
        case .ours:
            _ = try await peer.waitForEvent("listening", timeout: joinTimeout)
            let deadline = ContinuousClock.now + aloneAfter
            while ContinuousClock.now < deadline {
                if let stats = await peer.request(["op": "stats"], timeout: .seconds(5)),
                    (stats.reply["contacts"] as? Int ?? 0) > 0
                {
                    return true
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            return false
        }
    }

    /// The port of a `listening` line: ours lists addresses (`127.0.0.1:P`), theirs a `port`.
    static func port(of listening: [String: Any]) throws -> Int {
        if let port = listening["port"] as? Int { return port }
        if let address = (listening["addresses"] as? [String])?.first,
            let port = Int(address.split(separator: ":").last ?? "")
        {
            return port
        }
        throw BenchError("no port in the listening line: \(listening)")
    }

    /// Memory of one node, in MiB: VmRSS and RssAnon from /proc/<pid>/status (the figure the race compares, as
    /// `ps` shows it), and Pss from /proc/<pid>/smaps_rollup (shared pages, such as the code of N copies of one
    /// binary or interpreter, divided among the processes that share them), for context.
    struct Memory: Sendable {
        var rss: Double
        var anonymous: Double
        var proportional: Double
    }

    func memory() -> [Memory] {
        peers.map { peer in
            func kibibytes(_ file: String, _ field: String) -> Double {
                Double(IdleProbe.kiB(IdleProbe.readProcFile("/proc/\(peer.pid)/\(file)"), field))
            }
            return Memory(
                rss: kibibytes("status", "VmRSS") / 1024,
                anonymous: kibibytes("status", "RssAnon") / 1024,
                proportional: kibibytes("smaps_rollup", "Pss") / 1024
            )
        }
    }

    /// Each node's `stats` answer (empty for one that did not answer): its routing-table size, and for ours the
    /// datagrams it sent and how many carried a pair tag.
    func statistics() async -> [[String: Any]] {
        var replies: [[String: Any]] = []
        for peer in peers {
            replies.append((await peer.request(["op": "stats"], timeout: .seconds(5)))?.reply ?? [:])
        }
        return replies
    }

    func stop() async { await Self.stop(peers) }

    static func stop(_ peers: [RacePeer]) async {
        await withTaskGroup(of: Void.self) { group in
            for peer in peers { group.addTask { await peer.stop() } }
        }
    }
}
