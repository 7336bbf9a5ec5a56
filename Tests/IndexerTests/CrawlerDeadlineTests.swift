import Indexer
import IndexerSimulation
import Kademlia
import MeshCore
import Testing

/// The crawler says when it next has work (`pollTimeout`), so `CrawlService` sleeps until then or a reply instead
/// of waking on a fixed tick.
@Suite struct CrawlerDeadlineTests {
    let start = Timestamp(secondsSinceEpoch: 1_000)

    func contacts(_ count: Int, seed: UInt64) -> [Contact] {
        var random = SeededRandom(seed: seed)
        return (0..<count).map { index in
            Contact(
                id: try! NodeID(bytes: random.bytes(count: 32)),
                address: TransportAddress(ip: [10, 0, 0, UInt8(index)], port: 4_000)!
            )
        }
    }

    /// Nothing known: only a seed can give it work, so it names no deadline at all.
    @Test func emptyCrawlerHasNoDeadline() {
        let crawler = Crawler(random: SeededRandom(seed: 1), now: start)
        #expect(crawler.pollTimeout(now: start) == nil)
    }

    /// One contact, probed, and the first random walk sent: nothing is queued, so the next deadline is the next
    /// random walk, `randomWalkInterval` away, not now.
    @Test func idleCrawlerDeadlineIsTheNextRandomWalk() throws {
        var crawler = Crawler(random: SeededRandom(seed: 1), now: start)
        crawler.seed(contacts(1, seed: 2), now: start)
        let sent = crawler.nextProbes(now: start)
        #expect(sent.count == 2)  // the contact's findNode and the first random walk
        let deadline = try #require(crawler.pollTimeout(now: start))
        #expect(deadline == start + crawler.config.randomWalkInterval)
        #expect(crawler.nextProbes(now: start + .milliseconds(4_999)).isEmpty)
        #expect(crawler.nextProbes(now: deadline).count == 1)
    }

    /// Every probe outstanding and none answered: only a reply (or its timeout) can change anything.
    @Test func fullInFlightWaitsForReplies() {
        var crawler = Crawler(random: SeededRandom(seed: 1), now: start)
        crawler.seed(contacts(100, seed: 3), now: start)
        var now = start
        var sent = 0
        while sent < crawler.config.maximumInFlight, now < start + .seconds(10) {
            sent += crawler.nextProbes(now: now).count
            now = now + .milliseconds(100)
        }
        #expect(crawler.probesInFlight == crawler.config.maximumInFlight)
        #expect(crawler.pollTimeout(now: now) == nil)
    }

    /// Work is queued but the bucket is empty: the deadline is when a token is back, never an instant at which
    /// nothing can be sent (which would spin the adapter).
    @Test func emptyBucketDefersTheDeadline() throws {
        var config = CrawlerConfig()
        config.burst = 1
        config.requestsPerSecond = 10
        var crawler = Crawler(config: config, random: SeededRandom(seed: 1), now: start)
        crawler.seed(contacts(5, seed: 4), now: start)
        #expect(crawler.nextProbes(now: start).count == 1)
        let deadline = try #require(crawler.pollTimeout(now: start))
        #expect(deadline == start + .milliseconds(100))
        #expect(crawler.nextProbes(now: deadline - .milliseconds(1)).isEmpty)
        #expect(crawler.nextProbes(now: deadline).count == 1)
    }

    /// Over the simulator: once every record is in, a minute of idling wakes the loop a few times per random
    /// walk (its send and its reply), not 3,000 times as a 20 ms tick would.
    @Test func idleCrawlSleeps() {
        let outcome = CrawlExperiment.run(
            nodes: 60,
            seed: 5,
            crawler: CrawlerConfig(),
            horizon: .seconds(60),
            idleAfterCoverage: .seconds(60)
        )
        #expect(outcome.coverage == 1)
        #expect(outcome.idleWakes <= 60, "\(outcome.idleWakes) wake-ups in 60 idle virtual seconds")
        #expect(outcome.idleWakes >= 12, "the random walk goes on while idle (\(outcome.idleWakes) wake-ups)")
        print("idle wake-ups in 60 virtual seconds: \(outcome.idleWakes)")
    }
}
