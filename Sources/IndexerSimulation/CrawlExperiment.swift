import Indexer
import Kademlia
import KademliaSimulator
import MeshCore

/// The crawler on node 0 of a simulated network whose other nodes each publish an agent record (decision 0088):
/// how much of the population the crawl verifies, and how fast in virtual time, within its rate bound.
public enum CrawlExperiment {
    public struct Outcome: Sendable {
        public var publishers: Int
        public var verified: Int
        /// Virtual seconds from the crawl's start until the last new record was verified (or the horizon).
        public var virtualSeconds: Double
        public var probes: Int
        public var stats: CrawlStats
        /// Loop turns (wake-ups) during `idleAfterCoverage`, and how far the crawler's next deadline was at its end.
        public var idleWakes = 0
        public var idleNextDeadline: Duration?
        public var coverage: Double { publishers == 0 ? 0 : Double(verified) / Double(publishers) }
        /// The crawl's rate over its duration (probes per virtual second), to compare with the configured bound.
        public var probesPerSecond: Double { virtualSeconds > 0 ? Double(probes) / virtualSeconds : 0 }
    }

    /// Builds `nodes` simulated nodes, lets every node but 0 publish a synthetic card, then crawls from node 0 until
    /// every record is verified or `horizon` virtual time has passed, then lets it run on for `idleAfterCoverage`
    /// with nothing new to find. The loop sleeps until the crawler's `pollTimeout` or the next reply, as
    /// `CrawlService` does. `onFinding` sees each verified record.
    public static func run(
        nodes count: Int,
        seed: UInt64,
        crawler config: CrawlerConfig,
        horizon: Duration = .seconds(120),
        idleAfterCoverage: Duration = .zero,
        onFinding: (CrawlFinding) -> Void = { _ in }
    ) -> Outcome {
        var kademlia = Experiment.Parameters.simulatedConfig
        kademlia.maximumLookups = 4_096
        let simulator = Simulator(
            count: count,
            seed: seed,
            config: kademlia,
            verifyingThreads: Simulator.defaultVerifyingThreads
        )
        simulator.populateRoutingTables()
        var results: [ProbeResult] = []
        simulator.eventHandler = { node, event in
            if node == 0, case .probeFinished(let result) = event { results.append(result) }
        }
        var publishers = Set<String>()
        for index in 1..<count {
            let did = simulator.nodes[index].signingKey.publicKey.did
            let card = SyntheticCard.bytes(index: index, key: simulator.nodes[index].signingKey)
            let published = simulator.interact(index) { core, now in
                (try? core.publishAgentRecord(agentCard: card, now: now)) != nil
            }
            if published { publishers.insert(did) }
        }
        simulator.run(until: simulator.now + .seconds(10))

        let start = simulator.now
        var crawler = Crawler(config: config, random: SeededRandom(seed: seed &+ 1), now: start)
        crawler.seed(simulator.nodes[0].core.routingTable.allContacts, now: start)
        var verified = Set<String>()
        var lastNew = start
        let deadline = start + horizon
        /// One turn: send what is due, sleep until the crawler's deadline or a reply, take the replies.
        func turn(until limit: Timestamp) {
            let now = simulator.now
            let probes = crawler.nextProbes(now: now)
            if !probes.isEmpty {
                simulator.interact(0) { core, now in
                    for probe in probes { core.probe(probe.request, to: probe.contact, now: now) }
                }
            }
            let wake = min(crawler.pollTimeout(now: now) ?? limit, limit)
            simulator.run(while: { results.isEmpty }, until: max(wake, now + .milliseconds(1)))
            for result in results {
                for finding in crawler.handle(result, now: simulator.now) {
                    onFinding(finding)
                    if publishers.contains(finding.did), verified.insert(finding.did).inserted {
                        lastNew = simulator.now
                    }
                }
            }
            results.removeAll()
        }
        while simulator.now < deadline, verified.count < publishers.count { turn(until: deadline) }
        var outcome = Outcome(
            publishers: publishers.count,
            verified: verified.count,
            virtualSeconds: Double((lastNew - start).nanoseconds) / 1e9,
            probes: crawler.stats.probesSent,
            stats: crawler.stats
        )
        let idleEnd = simulator.now + idleAfterCoverage
        while simulator.now < idleEnd {
            turn(until: idleEnd)
            outcome.idleWakes += 1
        }
        if idleAfterCoverage > .zero {
            outcome.idleNextDeadline = crawler.pollTimeout(now: simulator.now).map { $0 - simulator.now }
        }
        return outcome
    }
}
