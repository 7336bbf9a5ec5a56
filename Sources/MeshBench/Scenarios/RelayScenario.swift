import ArgumentParser
import Foundation
import MeshCore
import MeshNode
import NIOCore
import NIOPosix
import RelayClient
import RelayFallback

/// `meshbench relay`: envelopes forwarded through a real `meshpeer relay` process on loopback, against the
/// minimal forwarder (`relay-baseline-server`) measured in the same run with the same clients and pacing.
///
/// Client i sends `messages / clients` envelopes to client i+1 (a ring), keeping at most `window` of its own
/// undelivered at a time. Run `swift build -c release` first (the benchmark starts the built `meshpeer`).
struct RelayScenario: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relay",
        abstract: "Relay forwarding rate, latency and memory against a bare WebSocket forwarder."
    )

    @Option(help: "Connected clients.") var clients = 100
    @Option(help: "Envelopes in total.") var messages = 50_000
    @Option(help: "Payload bytes per envelope.") var size = 256
    @Option(help: "Undelivered envelopes each sender may have outstanding.") var window = 16

    func run() throws {
        let clients = max(self.clients, 2)
        let perClient = max(messages / clients, 1)
        let size = self.size
        let window = self.window
        try runBlocking {
            var report = BenchReport(scenario: "relay")
            report["clients"] = clients
            report["messages"] = clients * perClient
            report["size"] = size
            let relay = try await RelayRun.measure(clients: clients, perClient: perClient, size: size, window: window)
            let baseline = try await BaselineRun.measure(
                clients: clients,
                perClient: perClient,
                size: size,
                window: window
            )
            report.set("forwarded_per_s", relay.rate)
            report.set("latency_ms_p50", relay.p50)
            report.set("latency_ms_p99", relay.p99)
            report.set("rss_mb", relay.peakMiB)
            report.set("idle_kib_per_connection", relay.idleKiBPerConnection)
            report["duplicates"] = relay.duplicates
            report.set("baseline_forwarded_per_s", baseline.rate)
            report.set("baseline_latency_ms_p50", baseline.p50)
            report.set("baseline_latency_ms_p99", baseline.p99)
            report.set("ratio_to_baseline", baseline.rate > 0 ? relay.rate / baseline.rate : 0)
            report.printJSON()
        }
    }
}

struct RunResult {
    var rate = 0.0
    var p50 = 0.0
    var p99 = 0.0
    var peakMiB = 0.0
    var idleKiBPerConnection = 0.0
    var duplicates = 0
}

enum RelayRun {
    static func measure(clients: Int, perClient: Int, size: Int, window: Int) async throws -> RunResult {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("meshbench-relay-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: data) }
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        let config: [String: Any] = [
            "listen": "127.0.0.1:0", "data": data,
            "limits": [
                "senderEnvelopesPerSecond": 1e9, "senderEnvelopeBurst": 1e9, "senderBytesPerSecond": 1e12,
                "senderByteBurst": 1e12, "connectionsPerSource": clients + 16, "maximumConnections": clients + 16,
            ],
        ]
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: data + "/relay.json"))
        return try await BenchProcess.withServer(
            "relay",
            executable: try BenchProcess.sibling("meshpeer"),
            arguments: ["relay", "--config", data + "/relay.json"],
            logDirectory: data
        ) { relay, port in
            try await measure(
                relay: relay,
                port: port,
                clients: clients,
                perClient: perClient,
                size: size,
                window: window
            )
        }
    }

    static func measure(
        relay: ChildProcess,
        port: Int,
        clients: Int,
        perClient: Int,
        size: Int,
        window: Int
    ) async throws -> RunResult {
        // Every client channel on one loop, so the coordinator is confined to it.
        let coordinator = BenchCoordinator.onSharedLoop(
            clients: clients,
            perClient: perClient,
            window: window,
            size: size
        )
        let loop = coordinator.loop
        let group = loop
        let identities = (0..<clients).map { index -> AgentIdentity in
            var random = SeededRandom(seed: UInt64(1_000 + index))
            return AgentIdentity.generate(using: &random)
        }
        let before = BenchProcess.memoryKiB(pid: relay.pid).current
        var channels: [any Channel] = []
        for index in 0..<clients {
            let recipient = identities[(index + 1) % clients].nodeID
            let identity = identities[index]
            let channel = try await RelayWebSocket.connect(host: "127.0.0.1", port: port, group: group) {
                channel in
                let handler = RelayClientHandler(identity: identity, expectedRelay: nil) { event, _ in
                    switch event {
                    case .ready: coordinator.ready()
                    case .delivered(let envelope): coordinator.delivered(BenchCoordinator.index(of: envelope.payload))
                    default: break
                    }
                }
                try channel.pipeline.syncOperations.addHandler(handler)
                let bound = NIOLoopBound(handler, eventLoop: channel.eventLoop)
                coordinator.senders.append { envelopeIndex in
                    var id = [UInt8](repeating: 0, count: 16)
                    withUnsafeBytes(of: UInt64(envelopeIndex).bigEndian) { raw in
                        for (offset, byte) in raw.enumerated() { id[8 + offset] = byte }
                    }
                    let envelope = OutboundEnvelope(
                        id: try! EnvelopeID(bytes: id),
                        recipient: recipient,
                        payload: coordinator.payload(envelopeIndex)
                    )
                    bound.value.send(envelope)
                }
            }
            channels.append(channel)
        }
        try await coordinator.allReady.futureResult.get()
        let idle = BenchProcess.memoryKiB(pid: relay.pid).current
        let seconds = try await timed(loop: loop) {
            coordinator.startAll()
        } until: {
            coordinator.done.futureResult
        }
        var result = RunResult()
        result.rate = Double(coordinator.total) / seconds
        result.p50 = try await loop.submit { coordinator.percentile(0.5) }.get()
        result.p99 = try await loop.submit { coordinator.percentile(0.99) }.get()
        result.duplicates = try await loop.submit { coordinator.duplicates }.get()
        result.peakMiB = Double(BenchProcess.memoryKiB(pid: relay.pid).peak) / 1_024
        result.idleKiBPerConnection = Double(idle - before) / Double(clients)
        for channel in channels { try? await channel.close() }
        return result
    }
}

/// Starts the work on the loop and returns the seconds until `until` completes.
func timed(
    loop: any EventLoop,
    _ start: @escaping @Sendable () -> Void,
    until: @escaping @Sendable () -> EventLoopFuture<Void>
) async throws -> Double {
    let began = DispatchTime.now().uptimeNanoseconds
    let finished = try await loop.submit { () -> EventLoopFuture<Void> in
        start()
        return until()
    }.get()
    try await finished.get()
    return Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9
}

enum BaselineRun {
    static func measure(clients: Int, perClient: Int, size: Int, window: Int) async throws -> RunResult {
        // The forwarder's log is kept only when the run fails (the error names it); every run used to leave one
        // in the temporary directory.
        let logs = FileManager.default.temporaryDirectory.appendingPathComponent("meshbench-baseline-\(UUID())").path
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        let result = try await BenchProcess.withServer(
            "relay-baseline-server",
            executable: try BenchProcess.sibling("meshbench"),
            arguments: ["relay-baseline-server"],
            logDirectory: logs
        ) { _, port in
            try await measure(port: port, clients: clients, perClient: perClient, size: size, window: window)
        }
        do {
            try FileManager.default.removeItem(atPath: logs)
        } catch {
            // The figures stand; say what was left behind rather than leave it silently.
            FileHandle.standardError.write(Data("meshbench: could not remove \(logs): \(error)\n".utf8))
        }
        return result
    }

    static func measure(port: Int, clients: Int, perClient: Int, size: Int, window: Int) async throws -> RunResult {
        // Every client channel on one loop, so the coordinator is confined to it.
        let coordinator = BenchCoordinator.onSharedLoop(
            clients: clients,
            perClient: perClient,
            window: window,
            size: size
        )
        let loop = coordinator.loop
        let group = loop
        let addresses = (0..<clients).map { SHA256.hash(Array("client-\($0)".utf8)) }
        var channels: [any Channel] = []
        for index in 0..<clients {
            let address = addresses[index]
            let recipient = addresses[(index + 1) % clients]
            let channel = try await RelayWebSocket.connect(host: "127.0.0.1", port: port, group: group) {
                channel in
                let handler = BaselineClientHandler(coordinator: coordinator, address: address)
                try channel.pipeline.syncOperations.addHandler(handler, name: "baseline")
                let bound = NIOLoopBound(handler, eventLoop: channel.eventLoop)
                coordinator.senders.append { envelopeIndex in
                    bound.value.write(recipient + coordinator.payload(envelopeIndex))
                }
            }
            try await loop.submit {
                let handler = try channel.pipeline.syncOperations.handler(type: BaselineClientHandler.self)
                handler.register()
            }.get()
            channels.append(channel)
        }
        try await coordinator.allReady.futureResult.get()
        let seconds = try await timed(loop: loop) {
            coordinator.startAll()
        } until: {
            coordinator.done.futureResult
        }
        var result = RunResult()
        result.rate = Double(coordinator.total) / seconds
        result.p50 = try await loop.submit { coordinator.percentile(0.5) }.get()
        result.p99 = try await loop.submit { coordinator.percentile(0.99) }.get()
        for channel in channels { try? await channel.close() }
        return result
    }
}
