import ArgumentParser
import Foundation
import KademliaSimulator
import MeshCore

/// `meshbench dht`: publish agent records into a simulated network, then look them up under churn and malice.
///
/// Latencies are virtual (the simulator's seeded log-normal RTTs, median about 80 ms); `wall_seconds` and
/// `peak_rss_mb` are real. The baseline for latency targets is the median RTT of the same model.
struct DHTScenario: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dht",
        abstract: "Kademlia lookups and publishes in the deterministic simulator."
    )

    @Option(help: "Nodes in the simulated network.") var nodes = 1_000
    @Option(help: "Fraction of honest nodes that go offline before the lookups.") var churn = 0.0
    @Option(help: "Fraction of nodes that drop, lie or forge.") var malicious = 0.0
    @Option(help: "Lookups to run.") var lookups = 1_000
    @Option(help: "Seed for every random choice.") var seed: UInt64 = 1
    @Option(help: "S/Kademlia disjoint lookup paths (1 = plain Kademlia).") var disjointPaths = 1
    @Option(help: "Continuous churn: nodes that leave (and as many that return) per finished lookup.")
    var flapsPerLookup = 0

    func run() throws {
        var outcome = Experiment.Outcome()
        let seconds = Stopwatch.measure {
            var parameters = Experiment.Parameters(
                nodes: nodes,
                churn: churn,
                malicious: malicious,
                lookups: lookups,
                seed: seed
            )
            parameters.config.disjointPaths = disjointPaths
            parameters.flapsPerLookup = flapsPerLookup
            outcome = Experiment.run(parameters)
        }
        var report = BenchReport(scenario: "dht")
        report["nodes"] = nodes
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
        report["forged_accepted"] = outcome.forgedAccepted
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
