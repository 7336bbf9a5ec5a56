import Indexer
import IndexerSimulation
import Kademlia
import MeshCore
import Testing

@Suite struct CrawlerSimulationTests {
    /// 400 nodes each publish a card; the crawler on one more node verifies every record, within its rate bound.
    @Test func crawlCoversThePopulationWithinTheRateBound() {
        var config = CrawlerConfig()
        config.requestsPerSecond = 100
        config.burst = 10
        let outcome = CrawlExperiment.run(nodes: 401, seed: 7, crawler: config, horizon: .seconds(60))
        #expect(outcome.publishers == 400)
        #expect(outcome.coverage >= 0.99, "verified \(outcome.verified) of \(outcome.publishers)")
        // Never faster than the bucket allows: the burst plus the rate over the elapsed time.
        #expect(Double(outcome.probes) <= config.burst + config.requestsPerSecond * max(outcome.virtualSeconds, 0) + 1)
        #expect(outcome.stats.recordsVerified >= outcome.verified)
    }

    @Test func inFlightBoundHolds() {
        var crawler = Crawler(random: SeededRandom(seed: 1), now: Timestamp(secondsSinceEpoch: 1_000))
        var random = SeededRandom(seed: 2)
        let contacts = (0..<200).map { index in
            Contact(
                id: try! NodeID(bytes: random.bytes(count: 32)),
                address: TransportAddress(ip: [10, 0, 0, UInt8(index)], port: 4_000)!
            )
        }
        crawler.seed(contacts, now: Timestamp(secondsSinceEpoch: 1_000))
        var now = Timestamp(secondsSinceEpoch: 1_000)
        var sent = 0
        for _ in 0..<100 {
            sent += crawler.nextProbes(now: now).count
            #expect(crawler.probesInFlight <= crawler.config.maximumInFlight)
            now = now + .milliseconds(100)
        }
        // Nothing answered, so the in-flight bound stops the crawl at 32 probes however long we wait.
        #expect(sent == crawler.config.maximumInFlight)
        #expect(crawler.knownNodes == 200)
    }
}
