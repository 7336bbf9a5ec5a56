import Foundation
import MeshCore
import MeshNodeAPI
import NIOCore

/// A mesh of real processes on 127.0.0.1: DHT bootstrap nodes, relays (each also a DHT node) and agents' nodes,
/// each with its data directory and log under `root`. `meshpeer devnet` and the multi-process tests both build
/// their networks with it, and stop, kill and restart its members to show and test what survives.
public final class LocalMesh: Sendable {
    public let executable: String
    public let root: String
    /// The event-loop group of the API clients `client(_:)` makes (the caller's, as everywhere).
    public let group: any EventLoopGroup
    let say: @Sendable (String) -> Void
    private let state = LockedValue(State())

    struct State: Sendable {
        var processes: [String: ChildProcess] = [:]
        var order: [String] = []
        var bootstrap = ""
        var relays: [String: (address: String, port: Int, directory: String)] = [:]
        var relayMetricsPorts: [String: Int] = [:]
        var ready: [String: NodeReady] = [:]
    }

    public init(
        executable: String,
        root: String,
        group: any EventLoopGroup,
        say: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.executable = executable
        self.root = root
        self.group = group
        self.say = say
    }

    public var bootstrapAddress: String { state.withLock { $0.bootstrap } }
    public func relayAddress(_ name: String) -> String? { state.withLock { $0.relays[name]?.address } }
    /// The relay's loopback `/metrics` port, from its `listening` line.
    public func relayMetricsPort(_ name: String) -> Int? { state.withLock { $0.relayMetricsPorts[name] } }
    /// The relay's data directory (its `relay.sqlite`).
    public func relayDirectory(_ name: String) -> String? { state.withLock { $0.relays[name]?.directory } }
    public func ready(_ name: String) -> NodeReady? { state.withLock { $0.ready[name] } }
    public func process(_ name: String) -> ChildProcess? { state.withLock { $0.processes[name] } }
    public func home(_ name: String) -> String { root + "/" + name }

    /// A DHT node that only bootstraps others (no identity kept).
    public func startBootstrap() async throws {
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let process = try spawn(
            "bootstrap",
            ["dht", "serve", "--ephemeral", "--listen", "127.0.0.1:0", "--json"]
        )
        let listening = try await process.waitForEvent("listening", as: Listening.self, timeout: .seconds(30))
        guard let seed = listening.addresses?.first else { throw process.failure("named no address") }
        state.withLock { $0.bootstrap = seed }
    }

    /// A relay (and its DHT node, joined through the bootstrap node). `port` 0 picks one; a restart keeps it.
    @discardableResult
    /// `settings` adds top-level config keys (a hostile test relay's `adversary`).
    public func startRelay(
        _ name: String,
        port: Int = 0,
        limits: [String: Any] = [:],
        settings: [String: Any] = [:]
    ) async throws -> String {
        let directory = home(name)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let previous = state.withLock { $0.relays[name] }
        let listenPort = previous?.port ?? port
        // A loopback lab: its adverts name 127.0.0.1 ("lab"), and a restart on the same port must not collide with
        // another relay's metrics listener (port 0 picks one).
        var config: [String: Any] = [
            "listen": "127.0.0.1:\(listenPort)", "data": directory, "lab": true, "metricsListen": "127.0.0.1:0",
            "dht": ["listen": ["127.0.0.1:0"], "bootstrap": [bootstrapAddress]],
        ]
        if !limits.isEmpty { config["limits"] = limits }
        config.merge(settings) { _, new in new }
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: directory + ".json"))
        let process = try spawn(name, ["relay", "--config", directory + ".json"])
        let line = try await process.waitForEvent("listening", as: Listening.self, timeout: .seconds(30))
        guard let bound = line.port else { throw process.failure("named no port") }
        let address = "ws://127.0.0.1:\(bound)"
        state.withLock {
            $0.relays[name] = (address, bound, directory)
            $0.relayMetricsPorts[name] = line.metricsPort
        }
        return address
    }

    /// Writes an agent's files (card, policy, config naming the bootstrap node and `relays`) and its identity.
    public func prepareAgent(
        _ name: String,
        card: [String: Any],
        policy: [String: Any],
        relays: [String],
        extra: [String: Any] = [:]
    ) async throws {
        let directory = home(name)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        func write(_ object: [String: Any], _ file: String) throws {
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            try data.write(to: URL(fileURLWithPath: directory + "/" + file))
        }
        try write(card, "card.json")
        try write(policy, "policy.json")
        var config: [String: Any] = [
            "dht": ["listen": ["127.0.0.1:0"], "bootstrap": [bootstrapAddress]],
            "relays": relays,
            "republishSeconds": 20,
            "recordTTLSeconds": 120,
        ]
        config.merge(extra) { _, new in new }
        try write(config, "config.json")
        guard !FileManager.default.fileExists(atPath: directory + "/identity.key") else { return }
        let initProcess = try spawn("init-\(name)", ["init", "--home", directory])
        guard await initProcess.exitStatus(timeout: .seconds(30)) == 0 else { throw initProcess.failure("failed") }
    }

    /// Starts (or restarts) an agent's node and waits for its ready line.
    @discardableResult
    public func startAgent(_ name: String) async throws -> NodeReady {
        let process = try spawn(name, ["run", "--home", home(name), "--json", "--log-level", "notice"])
        let ready = try await process.waitForEvent("ready", as: NodeReady.self, timeout: .seconds(60))
        state.withLock { $0.ready[name] = ready }
        return ready
    }

    public func client(_ name: String) throws -> LocalAPIClient {
        try LocalAPIClient(directory: home(name), eventLoopGroup: group)
    }

    /// SIGTERM and wait; a member that does not exit cleanly is an error (graceful shutdown is part of the job).
    public func stop(_ name: String) async throws {
        guard let process = state.withLock({ $0.processes.removeValue(forKey: name) }) else { return }
        let status = await process.stop()
        guard status == 0 else { throw process.failure("exited with status \(status) on SIGTERM") }
    }

    /// SIGKILL: a crash at an arbitrary instant.
    public func kill(_ name: String) async {
        guard let process = state.withLock({ $0.processes.removeValue(forKey: name) }) else { return }
        process.kill()
        _ = await process.exitStatus()
    }

    /// Stops every member, newest first.
    public func stopAll() async {
        let processes = state.withLock { state in state.order.reversed().compactMap { state.processes[$0] } }
        for process in processes { await process.stop(grace: .seconds(10)) }
        state.withLock { $0.processes = [:] }
    }

    func spawn(_ name: String, _ arguments: [String]) throws -> ChildProcess {
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let process = try ChildProcess(
            name: name,
            executable: executable,
            arguments: arguments,
            logPath: root + "/\(name).log"
        )
        state.withLock { state in
            state.processes[name] = process
            state.order.removeAll { $0 == name }
            state.order.append(name)
        }
        return process
    }

    struct Listening: Decodable {
        var addresses: [String]?
        var port: Int?
        var metricsPort: Int?

        enum CodingKeys: String, CodingKey {
            case addresses, port
            case metricsPort = "metrics_port"
        }
    }
}
