import ArgumentParser
import Foundation
import MeshCore
import MeshNode
import MeshPeer
import NIOCore
import NIOPosix

/// `meshbench e2e`: the node end to end, as real `meshpeer` processes on loopback (see `E2EMesh`):
/// - first contact (lookup, knock auto-accepted, X3DH, first message through a relay), one sample per pair of agents;
/// - messages per second through a relay, durable at both ends, against `meshbench relay`'s bare forwarder measured
///   in the same run with the same payload size, and the rate the two cores would allow if a message cost only its
///   Ratchet encryption (`CryptoCeiling`), so the forwarder ratio can be read against the best any node could do;
/// - a joined node's idle memory and packets;
/// - the status endpoint's latency while fresh identities flood the node with knocks, against the same endpoint
///   measured idle.
///
/// Run `swift build -c release --product meshpeer` first (the benchmark starts the built `meshpeer`).
struct E2EScenario: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "e2e",
        abstract: "First message, relay throughput, idle cost and knock-flood responsiveness of real nodes."
    )

    @Option(help: "Agents (each pair makes one first-contact sample).") var agents = 4
    @Option(help: "Messages for the throughput run.") var messages = 2_000
    @Option(help: "Bytes of `text` per message (and payload bytes per baseline envelope).") var size = 256
    @Option(help: "Send requests in flight on the sender's API.") var apiConcurrency = 8
    @Option(help: "Seconds the idle node is watched.") var idleSeconds = 60
    @Option(help: "Knocks offered per second in the flood.") var floodRate = 10_000.0
    @Option(help: "Knocks per flood (each from a fresh identity, made before the flood).") var floodKnocks = 20_000
    @Option(help: "Relay connections the flooder sends through.") var floodConnections = 8
    @Option(help: "Status requests in flight while sampling the API.") var statusConcurrency = 2
    @Option(help: "Status requests for the idle API baseline.") var statusRequests = 1_000
    @Option(
        help: """
            Paths: relay (every conversation stays on the relays), direct (every agent may upgrade), or auto (agent0 \
            and agent1 stay on the relays for msgs_per_s_relay, the others upgrade for msgs_per_s_direct; needs 4 \
            agents).
            """
    )
    var path = "auto"
    @Option(help: "Messages in the forced path-switch run (switch_loss).") var switchMessages = 400
    @Option(help: "Forced path switches (owner resets, alternating sides) in that run.") var switches = 8
    @Flag(help: "Skip the stale-token flood.") var skipStaleFlood = false
    @Flag(help: "Lift the measured node's relays' per-sender and first-contact limits (the flood reaches the node).")
    var openFloodRelays = false

    /// Sends to the measured pair besides the throughput and switch runs (the first-contact message), with room.
    static let firstContactSends = 10

    func run() throws {
        let options = self
        try runBlocking { try await options.measure() }
    }

    func measure() async throws {
        guard let choice = E2EMesh.PathChoice(rawValue: path) else {
            throw ValidationError("--path must be relay, direct or auto, not \(path)")
        }
        // The direct run sends `messages`, then `switchMessages`, to one peer; the sending node's circuit breaker
        // refuses sends to a peer beyond its burst, and a run that found that out minutes in would be lost.
        let perPeer = BreakerLimits().perPeer
        let toOnePeer = messages + switchMessages + Self.firstContactSends
        guard Double(toOnePeer) <= perPeer.burst else {
            throw ValidationError(
                "--messages \(messages) and --switch-messages \(switchMessages) would send \(toOnePeer) messages to one "
                    + "peer, more than a node's circuit breaker lets through at once (a burst of "
                    + "\(Int(perPeer.burst)), then \(Int(perPeer.perSecond))/s: breaker.perPeer in config.json); "
                    + "keep the two at most \(Int(perPeer.burst) - Self.firstContactSends) together"
            )
        }
        let agentCount = choice == .auto ? max(agents, 4) : max(agents, 2)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("meshbench-e2e-\(UUID())").path
        var report = BenchReport(scenario: "e2e")
        report["load_average_start"] = Self.loadAverage()
        report["agents"] = agentCount
        report["path"] = choice.rawValue
        report["messages"] = messages
        report["size"] = size
        report["flood_relay_limits"] =
            openFloodRelays
            ? "lifted: per-sender rates, first-contact and mailbox quotas (--open-flood-relays)" : "relay defaults"
        let mesh = try await E2EMesh.start(
            agents: agentCount,
            path: choice,
            openFloodRelays: openFloodRelays,
            root: root,
            group: group
        )
        do {
            try await measure(mesh, root: root, group: group, choice: choice, into: &report)
        } catch {
            await mesh.mesh.stopAll()
            try? await group.shutdownGracefully()
            throw BenchError("\(error) (logs kept in \(root))")
        }
        await mesh.mesh.stopAll()
        try? await group.shutdownGracefully()
        try? FileManager.default.removeItem(atPath: root)
        report["load_average_end"] = Self.loadAverage()
        Targets.judge(&report)
        report.printJSON()
    }

    func measure(
        _ mesh: E2EMesh,
        root: String,
        group: any EventLoopGroup,
        choice: E2EMesh.PathChoice,
        into report: inout BenchReport
    )
        async throws
    {
        let say: (String) -> Void = { FileHandle.standardError.write(Data("meshbench e2e: \($0)\n".utf8)) }
        say("first contact, \(mesh.agents.count * (mesh.agents.count - 1) / 2) pairs")
        let first = try await FirstMessage.measure(mesh)
        report["first_message_definition"] = FirstMessage.definition
        report["samples"] = first.count
        report.set("first_message_ms_p50", quantile(first.map(\.totalMs), 0.5))
        report.set("first_message_ms_p99", quantile(first.map(\.totalMs), 0.99))
        report.set("first_message_lookup_ms_p50", quantile(first.map(\.lookupMs), 0.5))
        report.set("first_message_knock_to_accept_ms_p50", quantile(first.map(\.knockToAcceptMs), 0.5))
        report.set("first_message_send_to_read_ms_p50", quantile(first.map(\.sendToReadMs), 0.5))
        // The slowest pair's stages, so that a p99 far above the p50 says where its time went.
        if let slowest = first.max(by: { $0.totalMs < $1.totalMs }) {
            report.set("first_message_slowest_ms", slowest.totalMs)
            report.set("first_message_slowest_lookup_ms", slowest.lookupMs)
            report.set("first_message_slowest_knock_to_accept_ms", slowest.knockToAcceptMs)
            report.set("first_message_slowest_send_to_read_ms", slowest.sendToReadMs)
            report["first_message_slowest_pair"] = slowest.pair
        }

        say("\(messages) messages of \(size) bytes, agent0 → agent1")
        let throughput = try await RelayThroughput.measure(
            mesh,
            from: mesh.agents[0],
            to: mesh.agents[1],
            messages: messages,
            size: size,
            concurrency: apiConcurrency
        )
        let baselineWindow = 16
        let baseline = try await BaselineRun.measure(
            clients: 2,
            perClient: max(messages / 2, 1),
            size: size,
            window: baselineWindow
        )
        report.set("msgs_per_s_relay", throughput.perSecond)
        report.set("send_api_per_s", throughput.sendAPIPerSecond)
        report["cpu_ms_per_message_relay"] = throughput.cpuPerMessage
        report["cpu_ms_per_message_definition"] =
            "CPU (user + system) per message over the throughput window, by role: the sending and receiving nodes, "
            + "the relays, and meshbench itself (the API clients); every role shares the machine's cores"
        report["api_concurrency"] = apiConcurrency
        report.set("baseline_relay_forward_per_s", baseline.rate)
        report["baseline_definition"] =
            "meshbench relay's bare WebSocket forwarder (relay-baseline-server): 2 clients in a ring, "
            + "\(max(messages / 2, 1) * 2) envelopes of \(size) payload bytes, \(baselineWindow) in flight per client"
        report.set("ratio_relay", baseline.rate > 0 ? throughput.perSecond / baseline.rate : 0)
        // What the forwarder ratio could be at best with this cipher suite on this machine (CryptoCeiling).
        let ceiling = try await Self.offThread {
            try CryptoCeiling.measure(messages: min(max(messages, 100), 2_000), size: size)
        }
        report.set("crypto_only_us_per_message", ceiling.secondsPerMessage * 1e6)
        report.set("crypto_only_msgs_per_s_ceiling", ceiling.messagesPerSecond)
        report.set(
            "ratio_relay_ceiling_crypto_only",
            baseline.rate > 0 ? ceiling.messagesPerSecond / baseline.rate : 0
        )
        report["crypto_only_definition"] = CryptoCeiling.definition
        report["relay_limits"] = "agents' relays: per-sender rate limits raised (as in meshbench relay); others default"
        if choice == .direct {
            report["msgs_per_s_relay_note"] = "--path direct: agent0 → agent1 may have upgraded during this run"
        }
        if choice != .relay {
            try await measureDirect(mesh, relayRate: throughput.perSecond, say: say, into: &report)
        }

        let victim = try mesh.client(E2EMesh.idle)
        guard let process = mesh.mesh.process(E2EMesh.idle) else { throw BenchError("the idle node is not running") }
        say("looking the measured node up in the DHT, as a stranger")
        let target = try await KnockTargetInfo.lookUp(
            did: mesh.dids[E2EMesh.idle]!,
            bootstrap: mesh.mesh.bootstrapAddress,
            group: group
        )
        report["knock_difficulty_bits"] = Int(target.difficulty)

        say("idle for \(idleSeconds) s (making the flood's knocks meanwhile)")
        let pools = LockedValue<[KnockPool.Pool]>([])
        let knocks = floodKnocks
        let stale = !skipStaleFlood
        let idle = try await IdleProbe.measure(pid: process.pid, seconds: idleSeconds, root: root) {
            let made = try await Self.offThread {
                var made = [try KnockPool.make(count: knocks, target: target, validToken: true, threads: 2)]
                if stale {
                    made.append(try KnockPool.make(count: knocks, target: target, validToken: false, threads: 2))
                }
                return made
            }
            pools.withLock { $0 = made }
        }
        report.set("idle_rss_mb", idle.rssMiB)
        report.set("idle_rss_anon_mb", idle.anonMiB)
        report.set("idle_rss_file_mb", idle.fileMiB)
        report.set("idle_pss_mb", idle.pssMiB)
        report["idle_rss_largest_mappings_mb"] = idle.largestFiles
        report.set("idle_packets_per_s", idle.packetsPerSecond)
        report["idle_packets"] = idle.packets
        report["idle_packets_udp"] = idle.udpPackets
        report.set("idle_seconds", idle.seconds)
        report["idle_packets_method"] = IdleProbe.method
        report["idle_node_ports"] = idle.ports
        report["idle_sockets_changed"] = idle.socketsChanged

        say("status latency, idle")
        let quiet = try await StatusProbe.sample(
            victim,
            count: statusRequests,
            concurrency: statusConcurrency,
            timeout: .seconds(120)
        )
        report.set("api_p50_ms_idle", quantile(quiet, 0.5))
        report.set("api_p99_ms_idle", quantile(quiet, 0.99))
        report["api_idle_samples"] = quiet.count
        report["api_status_concurrency"] = statusConcurrency

        let made = pools.withLock { $0 }
        for (index, pool) in made.enumerated() {
            let valid = index == 0
            say("knock flood (\(valid ? "valid" : "stale") token): \(pool.envelopes.count) knocks at \(floodRate)/s")
            let flood = try await FloodRun.run(
                pool: pool,
                validToken: valid,
                target: target,
                victim: victim,
                rate: floodRate,
                connections: floodConnections,
                statusConcurrency: statusConcurrency,
                loop: group.next()
            )
            if valid {
                report["api_under_flood_definition"] =
                    "GET /v1/status latency (\(statusConcurrency) requests in flight, each on a fresh loopback "
                    + "connection) from the first knock offered until the relay has answered every knock and the node has "
                    + "counted every knock the relay passed on as refused or received (at most 60 s), and 1 s more"
                report["knock_flood_valid_token"] = true
                report.set("knock_flood_offered_per_s", flood.offeredPerSecond)
                report.set("api_p99_ms_under_flood", quantile(flood.statusSamples, 0.99))
                flood.fields(prefix: "knock_flood_", into: &report)
            } else {
                flood.fields(prefix: "stale_flood_", into: &report)
            }
        }
        report["rss_mb_after_flood"] = Double(IdleProbe.residentKiB(pid: process.pid)) / 1_024
    }

    /// The direct path: throughput once a conversation runs direct (the same run as the relay figure, same sizes
    /// and API concurrency), then forced switches: time to direct and what a switch loses or repeats.
    func measureDirect(
        _ mesh: E2EMesh,
        relayRate: Double,
        say: (String) -> Void,
        into report: inout BenchReport
    ) async throws {
        let direct = mesh.agents.filter(E2EMesh.directAgents(mesh.agents, E2EMesh.PathChoice(rawValue: path)!).contains)
        guard direct.count >= 2 else { return }
        let (sender, recipient) = (direct[0], direct[1])
        say("\(messages) messages of \(size) bytes, \(sender) → \(recipient) on the direct path")
        let run = try await DirectPathRun.throughput(
            mesh,
            from: sender,
            to: recipient,
            messages: messages,
            size: size,
            concurrency: apiConcurrency
        )
        report.set("msgs_per_s_direct", run.perSecond)
        report.set("direct_share", run.directShare)
        report["cpu_ms_per_message_direct"] = run.cpuPerMessage
        report.set("ratio_direct_to_relay", relayRate > 0 ? run.perSecond / relayRate : 0)
        say("\(switchMessages) messages across \(switches) forced path switches")
        let switched = try await DirectPathRun.switches(
            mesh,
            from: sender,
            to: recipient,
            messages: switchMessages,
            rounds: switches
        )
        report["switch_messages"] = switched.sent
        report["switch_forced"] = switched.forcedSwitches
        report["switch_lost"] = switched.lost
        report["switch_duplicated"] = switched.duplicated
        report["switch_out_of_order"] = switched.outOfOrder
        report["switch_loss"] = switched.lost + switched.duplicated
        report["direct_upgrades"] = switched.upgrades
        if let p50 = switched.timeToDirectP50 { report.set("time_to_direct_ms_p50", p50) }
        if let p95 = switched.timeToDirectP95 { report.set("time_to_direct_ms_p95", p95) }
        report["time_to_direct_definition"] =
            "the sender's time from sending its ICE offer (after gathering) to the peer's first message on the validated channel, over every upgrade of the switch run, loopback"
    }

    /// Runs blocking CPU work on a dispatch thread, not on the cooperative pool.
    static func offThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
        }
    }

    static func loadAverage() -> String {
        ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "")
            .split(separator: " ").prefix(3).joined(separator: " ")
    }
}

/// The issue's targets, and whether this run met each.
enum Targets {
    static func judge(_ report: inout BenchReport) {
        func number(_ key: String) -> Double? { report[key] as? Double }
        var met: [String: Bool] = [:]
        if let p50 = number("first_message_ms_p50") { met["first_message_ms_p50 <= 100"] = p50 <= 100 }
        if let ratio = number("ratio_relay") { met["ratio_relay >= 0.25"] = ratio >= 0.25 }
        // Whether any node with this cipher suite could meet it here: false says the target is out of reach on
        // this machine whatever the node does besides encrypting.
        if let ceiling = number("ratio_relay_ceiling_crypto_only") {
            report["ratio_relay_target_within_crypto_ceiling"] = ceiling >= 0.25
        }
        if let ratio = number("ratio_direct_to_relay") { met["msgs_per_s_direct >= 2 x msgs_per_s_relay"] = ratio >= 2 }
        if let loss = report["switch_loss"] as? Int { met["switch_loss == 0"] = loss == 0 }
        if let rss = number("idle_rss_mb") { met["idle_rss_mb <= 30"] = rss <= 30 }
        if let packets = number("idle_packets_per_s") { met["idle_packets_per_s <= 1"] = packets <= 1 }
        if let p99 = number("api_p99_ms_under_flood"), let offered = number("knock_flood_offered_per_s") {
            // The pacer offers at most the asked rate; it ends within one 2 ms tick of it.
            met["api_p99_ms_under_flood <= 50 at >= 9,900 knocks/s offered"] = p99 <= 50 && offered >= 9_900
        }
        report["targets_met"] = met
    }
}
