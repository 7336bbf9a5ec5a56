import ArgumentParser
import Foundation
import Kademlia
import KademliaSimulator
import MeshCore

/// `meshbench dht`: publish agent records into a simulated network and look them up under churn and malice.
///
/// The default is the honest model (docs/kademlia.md, "Simulator"): tables built by real joins through bootstrap
/// nodes (`--tables joined`) and continuous churn with Weibull sessions (`--churn-model continuous`, `--churn` per
/// simulated hour). `--tables oracle --churn-model one-off` is the old, faster shortcut, never quoted.
///
/// Latencies are virtual (the simulator's seeded log-normal RTTs, median about 80 ms); `wall_seconds` and
/// `peak_rss_mb` are real. The baseline for latency targets is the median RTT of the same model.
struct DHTScenario: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dht",
        abstract: "Kademlia lookups and publishes in the deterministic simulator."
    )

    @Option(help: "Nodes in the simulated network.") var nodes = 1_000
    @Option(
        help: """
            continuous: fraction of online nodes that leave per simulated hour (as many arrive); the default 0.18 \
            fits the IPFS DHT's measured sessions (docs/kademlia.md). one-off: fraction offline during lookups.
            """
    )
    var churn = 0.18
    @Option(help: "How routing tables are built: joined (real joins, the default) or oracle (global knowledge).")
    var tables = "joined"
    @Option(help: "continuous (Weibull sessions, the default) or one-off (nodes leave once before the lookups).")
    var churnModel = "continuous"
    @Option(help: "Weibull shape of session lengths (continuous churn).") var sessionShape = 0.6
    @Option(help: "Simulated minutes over which the nodes start and join.") var growthMinutes = 10.0
    @Option(help: "Simulated minutes between the end of growth and the measurement window.") var settleMinutes = 5.0
    @Option(help: "Simulated minutes of publishing, lookups and churn (continuous).") var windowMinutes = 10.0
    @Option(help: "Bucket refresh interval in simulated minutes (the core's default is 15).") var refreshMinutes = 15.0
    @Option(help: "Fraction of nodes that drop, lie or forge.") var malicious = 0.0
    @Option(help: "Lookups to run.") var lookups = 1_000
    @Option(help: "Seed for every random choice.") var seed: UInt64 = 1
    @Option(help: "S/Kademlia disjoint lookup paths (1 = plain Kademlia).") var disjointPaths = 1
    @Option(help: "Requests in flight per lookup path (Kademlia's alpha).") var alpha = KademliaConfig().alpha
    @Option(help: "Share of the k closest that must answer a value lookup holding a record (1 = all; decision 0106).")
    var valueQuorum = KademliaConfig().valueLookupQuorum
    @Option(help: "one-off churn only: nodes that leave (and as many that return) per finished lookup.")
    var flapsPerLookup = 0
    @Option(help: "Threads verifying signatures ahead of delivery (0: inline); any number gives the same figures.")
    var verifyingThreads = Simulator.defaultVerifyingThreads
    @Flag(
        help: """
            Nodes use pair tags (decision 0124), as real nodes do. Off by default: the figures are the same bit for \
            bit, and tags cost the simulator's one thread an X25519 agreement per pair of nodes.
            """
    )
    var pairTags = false

    func validate() throws {
        guard Experiment.Tables(rawValue: tables) != nil else { throw ValidationError("--tables: joined or oracle") }
        guard Experiment.ChurnModel(rawValue: churnModel) != nil else {
            throw ValidationError("--churn-model: continuous or one-off")
        }
        guard valueQuorum > 0, valueQuorum <= 1 else { throw ValidationError("--value-quorum: above 0, at most 1") }
        guard (1...20).contains(alpha) else { throw ValidationError("--alpha: 1 to 20") }
        guard (0...64).contains(verifyingThreads) else { throw ValidationError("--verifying-threads: 0 to 64") }
        guard churn >= 0, sessionShape > 0, growthMinutes >= 0, settleMinutes >= 0, windowMinutes > 1 else {
            throw ValidationError("--churn, --session-shape and the minutes must be positive (window over 1)")
        }
    }

    func run() throws {
        var outcome = Experiment.Outcome()
        let cpuBefore = ProcessCPU.seconds()
        let seconds = Stopwatch.measure {
            var parameters = Experiment.Parameters(
                nodes: nodes,
                churn: churn,
                malicious: malicious,
                lookups: lookups,
                seed: seed
            )
            parameters.config.disjointPaths = disjointPaths
            parameters.config.alpha = alpha
            parameters.config.valueLookupQuorum = valueQuorum
            parameters.config.pairTags = pairTags
            parameters.flapsPerLookup = flapsPerLookup
            parameters.tables = Experiment.Tables(rawValue: tables) ?? .joined
            parameters.churnModel = Experiment.ChurnModel(rawValue: churnModel) ?? .continuous
            parameters.sessionShape = sessionShape
            parameters.config.bucketRefreshInterval = .milliseconds(Int64(refreshMinutes * 60_000))
            parameters.growth = .milliseconds(Int64(growthMinutes * 60_000))
            parameters.settle = .milliseconds(Int64(settleMinutes * 60_000))
            parameters.window = .milliseconds(Int64(windowMinutes * 60_000))
            parameters.verifyingThreads = verifyingThreads
            outcome = Experiment.run(parameters)
        }
        var report = BenchReport(scenario: "dht")
        report["nodes"] = nodes
        report["tables"] = tables
        report["churn_model"] = churnModel
        report.set("churn", churn)
        report.set("malicious", malicious)
        report.set("value_quorum", valueQuorum)
        report["alpha"] = alpha
        report["seed"] = Int(truncatingIfNeeded: seed)
        report["lookups"] = outcome.lookups
        report.set("success_rate", outcome.successRate)
        let hops = outcome.hops.map(Double.init)
        report.set("hops_p50", percentile(hops, 0.50))
        report.set("hops_p95", percentile(hops, 0.95))
        report.set("hops_p99", percentile(hops, 0.99))
        report.set("latency_ms_p50", percentile(outcome.latencyMilliseconds, 0.50))
        report.set("latency_ms_p95", percentile(outcome.latencyMilliseconds, 0.95))
        report.set("latency_ms_p99", percentile(outcome.latencyMilliseconds, 0.99))
        report.set("publish_ms_p50", percentile(outcome.publishMilliseconds, 0.50))
        report.set("publish_ms_p99", percentile(outcome.publishMilliseconds, 0.99))
        let messages = outcome.messages.reduce(0, +)
        report.set("messages_per_lookup", outcome.lookups == 0 ? 0 : Double(messages) / Double(outcome.lookups))
        report.set("peak_rss_mb", peakResidentMegabytes())
        report.set("wall_seconds", seconds)
        report.set("cpu_seconds", ProcessCPU.seconds() - cpuBefore)
        report["verifying_threads"] = verifyingThreads
        report["pair_tags"] = pairTags
        report["forged_accepted"] = outcome.forgedAccepted
        report["median_table_size"] = outcome.medianTableSize
        if churnModel == Experiment.ChurnModel.continuous.rawValue {
            report["median_table_size_at_end"] = outcome.medianTableSizeAtEnd
        }
        report["datagrams"] = outcome.datagrams
        report["phase_datagrams"] = outcome.phaseDatagrams
        if churnModel == Experiment.ChurnModel.continuous.rawValue {
            report.set("session_shape", sessionShape)
            report.set("window_minutes", windowMinutes)
            report["departures"] = outcome.departures
            report["arrivals"] = outcome.arrivals
        }
        report.printJSON()
    }

    /// Nearest-rank percentile; 0 for an empty sample.
    func percentile(_ values: [Double], _ fraction: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let rank = Int((fraction * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }

    /// VmHWM from /proc/self/status: the peak resident set of this process.
    func peakResidentMegabytes() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "")
        else { return 0 }
        return kilobytes / 1024
    }
}
