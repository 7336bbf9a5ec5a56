import Indexer
import Kademlia
import KademliaDriver
import Logging
import MeshCore
import NIOCore
import ServiceLifecycle

/// The crawl as a swift-service-lifecycle `Service`: the indexer's own DHT node (a `KademliaUDPDriver` on the
/// process's event-loop group), the sans-IO `Crawler` deciding what to probe, the mirror receiving what it
/// verified, and the expiry sweep. It only translates between them (design rule 2). On graceful shutdown it
/// stops probing, writes what it holds and closes its sockets.
public struct CrawlService: Service {
    let configuration: IndexerConfiguration
    let ingest: Ingest
    let status: IndexerStatus
    let group: any EventLoopGroup
    let logger: Logger
    let signingKey: Ed25519.PrivateKey
    let progress: (@Sendable (CrawlStats, Int) -> Void)?

    public init(
        configuration: IndexerConfiguration,
        mirror: Mirror,
        status: IndexerStatus,
        signingKey: Ed25519.PrivateKey,
        group: any EventLoopGroup,
        logger: Logger,
        progress: (@Sendable (CrawlStats, Int) -> Void)? = nil
    ) {
        self.configuration = configuration
        self.ingest = Ingest(mirror: mirror, status: status)
        self.status = status
        self.signingKey = signingKey
        self.group = group
        self.logger = logger
        self.progress = progress
    }

    public func run() async throws {
        let signingKey = self.signingKey
        let driver = try await KademliaUDPDriver.start(
            listen: configuration.dhtListen,
            group: group,
            makeCore: { now in KademliaNode(signingKey: signingKey, random: SystemRandom(), now: now) }
        )
        let seeds = configuration.seeds
        try await driver.perform { core, now in core.bootstrap(from: seeds, now: now) }
        logger.info("indexer DHT node listening", metadata: ["addresses": "\(driver.localAddresses)"])
        await cancelWhenGracefulShutdown {
            await crawl(driver)
        }
        await driver.shutdown()
    }

    /// How often an empty crawler looks at the routing table again (until the bootstrap has filled it).
    static let seedRetry: Duration = .seconds(1)

    /// The loop: seed from the routing table, send what the crawler allows, feed back results, write findings.
    /// It sleeps until the earliest of the crawler's `pollTimeout`, the next expiry sweep, the next progress line
    /// and the next probe result, so an idle indexer wakes about once per random-walk interval, not 50 times a
    /// second.
    func crawl(_ driver: KademliaUDPDriver) async {
        let clock = SystemClock()
        var crawler = Crawler(config: configuration.crawler, random: SystemRandom(), now: clock.now())
        let results = LockedValue<[ProbeResult]>([])
        // One pending wake is enough: whoever wakes the loop finds every result in `results`.
        let (wakes, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        var wakeIterator = wakes.makeAsyncIterator()
        var pending: [CrawlFinding] = []
        var nextSweep = clock.now()
        var nextProgress = clock.now()
        var nextSeed = clock.now()
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled {
                let now = clock.now()
                if crawler.knownNodes == 0, now >= nextSeed {
                    nextSeed = now + Self.seedRetry
                    if let contacts = try? await driver.perform({ core, _ in core.routingTable.allContacts }) {
                        crawler.seed(contacts, now: now)
                    }
                }
                for probe in crawler.nextProbes(now: now) {
                    group.addTask {
                        let event = await driver.query { core, now in
                            core.probe(probe.request, to: probe.contact, now: now)
                        }
                        if case .probeFinished(let result) = event { results.withLock { $0.append(result) } }
                        wake.yield()
                    }
                }
                for result in results.withLock({ list in
                    defer { list.removeAll() }
                    return list
                }) {
                    pending += crawler.handle(result, now: clock.now())
                }
                let dropped = CrawlBacklog.trim(
                    &pending,
                    to: max(configuration.maximumBacklog, configuration.ingestBatch)
                )
                if dropped > 0 { await status.count(refused: "backlog", dropped) }
                if !pending.isEmpty {
                    let batch = pending.prefix(configuration.ingestBatch)
                    pending.removeFirst(batch.count)
                    do {
                        try await ingest.ingest(Array(batch), now: clock.now())
                    } catch {
                        logger.error("mirror write failed", metadata: ["error": "\(error)"])
                    }
                }
                if now >= nextSweep {
                    nextSweep = now + configuration.expirySweep
                    do {
                        let expired = try await ingest.mirror.sweepExpired(now: now)
                        if expired > 0 { await status.count(expired: expired) }
                    } catch {
                        logger.error("mirror expiry failed", metadata: ["error": "\(error)"])
                    }
                }
                await status.update(crawl: crawler.stats)
                if now >= nextProgress, let progress {
                    nextProgress = now + .seconds(1)
                    do {
                        progress(crawler.stats, try await ingest.mirror.readAgentCount(now: now))
                    } catch {
                        logger.error("mirror count failed", metadata: ["error": "\(error)"])
                    }
                }
                let after = clock.now()
                var deadlines = [nextSweep, crawler.pollTimeout(now: after)].compactMap { $0 }
                if progress != nil { deadlines.append(nextProgress) }
                if crawler.knownNodes == 0 { deadlines.append(nextSeed) }
                if !pending.isEmpty || !results.withLock(\.isEmpty) { continue }
                let deadline = deadlines.min() ?? after + configuration.expirySweep
                guard deadline > after else { continue }
                // A timer wakes the loop at the deadline unless a probe result does first.
                let timer = Task {
                    try await Task.sleep(for: deadline - after)
                    wake.yield()
                }
                _ = await wakeIterator.next()
                timer.cancel()
            }
        }
        wake.finish()
        // What the crawl found last is written before the service returns; a failure is said, not dropped.
        if !pending.isEmpty {
            do {
                try await ingest.ingest(pending, now: clock.now())
            } catch {
                logger.error(
                    "mirror write at shutdown failed",
                    metadata: ["error": "\(error)", "records": "\(pending.count)"]
                )
            }
        }
    }
}
