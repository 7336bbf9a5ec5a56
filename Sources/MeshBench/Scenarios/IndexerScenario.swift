import ArgumentParser
import Foundation
import Indexer
import IndexerService
import IndexerSimulation
import Kademlia
import Logging
import MeshCore
import NIOPosix
import ServiceLifecycle

/// `meshbench indexer`: ingest, query and crawl figures for the indexer (docs/indexer.md, "Performance").
///
/// - `ingest_per_s`: records verified (signature, limits, expiry), read into documents and written to the mirror
///   in batches, per second, at `--records` records.
/// - `query_ms_p50/p99`: `--queries` searches over HTTP (one keep-alive connection) against that mirror;
///   `baseline_query_ms_p99`: the same searches straight on SQLite (the mirror's own query, no HTTP) in the same run.
/// - `crawl_coverage`, `crawl_virtual_seconds`: the crawler over the simulator with `--crawl-nodes` nodes that each
///   publish a card, within `--crawl-rate` probes per second.
struct IndexerScenario: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "indexer",
        abstract: "Indexer ingest, HTTP query latency and crawl coverage."
    )

    @Option(help: "Records in the mirror.") var records = 100_000
    @Option(help: "Queries to time.") var queries = 2_000
    @Option(help: "Simulated nodes for the crawl (0 skips it).") var crawlNodes = 10_000
    @Option(help: "The crawl's probe-rate bound, per second.") var crawlRate: Double = 500
    @Option(help: "Seed for every random choice.") var seed: UInt64 = 1

    func run() throws {
        var report = BenchReport(scenario: "indexer")
        report["records"] = records
        report["queries"] = queries
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "meshbench-indexer-\(UUID().uuidString)"
        )
        try FileManager.default.createDirectory(at: path, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: path) }
        var limits = MirrorLimits()
        limits.maximumAgentsPerTag = records
        let mirror = try Mirror(path: path.appendingPathComponent("indexer.sqlite").path, limits: limits)
        let now = SystemClock().now()

        // Records are signed up front; the timed part is verify + read + write, as the crawl does it.
        var random = SeededRandom(seed: seed)
        let signed: [[UInt8]] = try (0..<records).map { index in
            let key = Ed25519.PrivateKey(using: &random)
            return try AgentRecord.signed(
                by: key,
                sequence: 1,
                issuedAt: now,
                ttl: .seconds(3_600),
                agentCard: SyntheticCard.bytes(index: index, key: key)
            ).wireBytes
        }
        // Verification (both signatures, the card) runs on every core through the indexer's own `Ingest` path;
        // the mirror's one writer takes each batch (the indexer's transaction size) on its own queue while the
        // next ones are verified. Two batches may wait for the writer, so neither side idles at a batch's end.
        let batchSize = IndexerConfiguration.defaultIngestBatch
        let timing = LockedValue<(total: Double, verify: Double, write: Double)>((0, 0, 0))
        let cpuBefore = ProcessCPU.seconds()
        try runBlocking {
            let start = ContinuousClock.now
            var verify = Duration.zero
            var write = Duration.zero
            // The writer's busy time: each write's span, less any part that waited behind the previous write.
            var writing: [Task<(ContinuousClock.Instant, ContinuousClock.Instant), any Error>] = []
            var lastEnd = start
            func account(_ span: (ContinuousClock.Instant, ContinuousClock.Instant)) {
                write += span.1 - max(span.0, lastEnd)
                lastEnd = span.1
            }
            for chunk in stride(from: 0, to: signed.count, by: batchSize) {
                let slice = Array(signed[chunk..<min(chunk + batchSize, signed.count)])
                let verifying = ContinuousClock.now
                let results = await Ingest.documents(fromSigned: slice, now: now, limits: mirror.limits)
                verify += ContinuousClock.now - verifying
                let batch = try results.enumerated().map { index, result in
                    (document: try result.get(), source: "source-\(chunk + index)")
                }
                if writing.count == 2 { account(try await writing.removeFirst().value) }
                writing.append(
                    Task {
                        let writeStart = ContinuousClock.now
                        _ = try await mirror.write(batch, refreshed: [], now: now)
                        return (writeStart, ContinuousClock.now)
                    }
                )
            }
            for task in writing { account(try await task.value) }
            let total = ContinuousClock.now - start
            timing.withLock { $0 = (Self.seconds(total), Self.seconds(verify), Self.seconds(write)) }
        }
        let (ingestSeconds, verifySeconds, writeSeconds) = timing.withLock { $0 }
        // CPU time the whole process spent ingesting (every thread): on a shared machine the wall-clock rate
        // depends on the load, this does not.
        let ingestCPU = ProcessCPU.seconds() - cpuBefore
        report.set("ingest_cpu_seconds", ingestCPU)
        report.set("ingest_cpu_us_per_record", ingestCPU / Double(max(1, records)) * 1e6)
        report.set("ingest_per_s", Double(records) / ingestSeconds)
        report.set("ingest_verify_seconds", verifySeconds)
        report.set("ingest_write_seconds", writeSeconds)

        let texts = Self.queryTexts(count: queries, seed: seed)
        var baseline: [Double] = []
        var baselineCPU: [Double] = []
        for text in texts {
            let query = try SearchQuery.parse(q: text, capability: nil, tag: nil, limit: "20", cursor: nil)
            let cpu = Self.threadCPUSeconds()
            baseline.append(try Stopwatch.measure { _ = try mirror.search(query, now: now) } * 1_000)
            baselineCPU.append((Self.threadCPUSeconds() - cpu) * 1_000)
        }
        let timings = LockedValue<[Double]>([])
        try runBlocking {
            let measured = try await Self.queryOverHTTP(mirror: mirror, texts: texts)
            timings.withLock { $0 = measured }
        }
        let overHTTP = timings.withLock { $0 }
        report.set("query_ms_p50", Self.percentile(overHTTP, 0.50))
        report.set("query_ms_p99", Self.percentile(overHTTP, 0.99))
        report.set("baseline_query_ms_p50", Self.percentile(baseline, 0.50))
        report.set("baseline_query_ms_p99", Self.percentile(baseline, 0.99))
        // The same searches' CPU time on the calling thread (SQLite runs there): what a query costs whatever the
        // machine's load, so the wall-clock figures can be read against it.
        report.set("baseline_query_cpu_ms_p50", Self.percentile(baselineCPU, 0.50))
        report.set("baseline_query_cpu_ms_p99", Self.percentile(baselineCPU, 0.99))
        report["query_costliest"] = try Self.costliest(texts: texts, cpu: baselineCPU, mirror: mirror)

        if crawlNodes > 1 {
            var config = CrawlerConfig()
            config.requestsPerSecond = crawlRate
            config.burst = 20
            config.maximumInFlight = 64
            var outcome: CrawlExperiment.Outcome?
            let wall = Stopwatch.measure {
                outcome = CrawlExperiment.run(nodes: crawlNodes, seed: seed, crawler: config, horizon: .seconds(120))
            }
            report["crawl_nodes"] = crawlNodes
            report.set("crawl_coverage", outcome?.coverage ?? 0)
            report.set("crawl_virtual_seconds", outcome?.virtualSeconds ?? 0)
            report["crawl_probes"] = outcome?.probes ?? 0
            report.set("crawl_rate_bound", crawlRate)
            report.set("crawl_probes_per_s", outcome?.probesPerSecond ?? 0)
            report.set("crawl_wall_seconds", wall)
        }
        report.set("peak_rss_mb", DHTScenario().peakResidentMegabytes())
        report.printJSON()
    }

    /// The five query texts with the highest median CPU time in the baseline, each with how many agents its
    /// words match: what holds the p99 (BM25 scores every match).
    static func costliest(texts: [String], cpu: [Double], mirror: Mirror) throws -> [[String: Any]] {
        var byText: [String: [Double]] = [:]
        for (text, milliseconds) in zip(texts, cpu) { byText[text, default: []].append(milliseconds) }
        let medians = byText.map { (text: $0.key, ms: percentile($0.value, 0.5), runs: $0.value.count) }
        return try medians.sorted { $0.ms > $1.ms }.prefix(5).map { entry in
            let query = try SearchQuery.parse(q: entry.text, capability: nil, tag: nil, limit: "20", cursor: nil)
            let matches = try mirror.database.read { db in
                try Int.fetchOne(
                    db,
                    sql: "SELECT COUNT(*) FROM indexer_fts WHERE indexer_fts MATCH ?",
                    arguments: [query.matchExpression ?? ""]
                ) ?? 0
            }
            return [
                "q": entry.text, "cpu_ms": (entry.ms * 100).rounded() / 100, "runs": entry.runs, "matches": matches,
            ]
        }
    }

    /// CPU time of the calling thread so far.
    static func threadCPUSeconds() -> Double {
        var time = timespec()
        guard clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time) == 0 else { return 0 }
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// Nearest-rank percentile; 0 for an empty sample.
    static func percentile(_ values: [Double], _ fraction: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, max(0, Int((Double(sorted.count) * fraction).rounded(.up)) - 1))]
    }

    /// One or two words from the synthetic cards' vocabulary, some as prefixes.
    static func queryTexts(count: Int, seed: UInt64) -> [String] {
        let words = [
            "translation", "weather", "summarise", "invoice", "calendar", "search", "images", "audio", "code", "review",
            "legal", "medical", "finance", "travel", "recipes", "chess", "maths", "physics", "poetry", "news",
            "translate", "forecast", "draft", "check", "plan", "render", "transcribe", "fix", "rate", "trans", "med",
        ]
        var random = SeededRandom(seed: seed &+ 7)
        return (0..<count).map { _ in
            let first = words[Int(random.next() % UInt64(words.count))]
            let second = words[Int(random.next() % UInt64(words.count))]
            return random.next() % 2 == 0 ? first : "\(first) \(second)"
        }
    }

    static func queryOverHTTP(mirror: Mirror, texts: [String]) async throws -> [Double] {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var configuration = IndexerConfiguration(databasePath: "", dhtListen: [], seeds: [])
        configuration.httpPort = 0
        configuration.httpRate = TokenRate(perSecond: 1_000_000, burst: 1_000_000)
        let port = LockedValue<Int?>(nil)
        let application = IndexerHTTP.makeApplication(
            configuration: configuration,
            mirror: mirror,
            status: IndexerStatus(started: SystemClock().now()),
            group: group,
            logger: Logger(label: "meshbench.indexer"),
            onBound: { url in port.withLock { $0 = Int(url.split(separator: ":").last ?? "") } }
        )
        let services = ServiceGroup(services: [application], logger: Logger(label: "meshbench.indexer"))
        return try await withThrowingTaskGroup(of: [Double]?.self) { tasks in
            tasks.addTask {
                try await services.run()
                return nil
            }
            tasks.addTask {
                let deadline = ContinuousClock.now + .seconds(10)
                while port.withLock({ $0 }) == nil, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(10))
                }
                guard let bound = port.withLock({ $0 }) else { throw BenchError("the HTTP server did not start") }
                var timings: [Double] = []
                do {
                    let client = try LoopbackHTTPGetter(port: bound)
                    try Self.time(texts, with: client, into: &timings)
                }
                await services.triggerGracefulShutdown()
                return timings
            }
            var timings: [Double] = []
            for try await result in tasks { if let result { timings = result } }
            try await group.shutdownGracefully()
            return timings
        }
    }

    static func time(_ texts: [String], with client: LoopbackHTTPGetter, into timings: inout [Double]) throws {
        for text in texts {
            let path = "/v1/search?q=" + (text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
            let start = ContinuousClock.now
            let (status, _) = try client.get(path)
            let elapsed = ContinuousClock.now - start
            guard status == 200 else { throw BenchError("search answered \(status)") }
            timings.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1e3)
        }
    }
}
