import ArgumentParser
import CLISupport
import Foundation
import Indexer
import IndexerService
import Kademlia
import KademliaDriver
import Logging
import MeshCore
import NIOPosix
import ProcessSupport
import ServiceLifecycle

/// `meshpeer indexer`: a DHT node that crawls the network into a SQLite mirror and serves search over HTTP
/// (docs/indexer.md). The library does the work; this only reads flags and composes the services.
struct IndexerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "indexer",
        abstract: "Crawl the DHT into a searchable mirror and serve it over HTTP (docs/indexer.md).",
        discussion: """
            Prints one JSON line {"event":"listening","http":URL} once the HTTP API is up. On a terminal, a \
            progress line on stderr shows nodes seen, records verified and the probe rate. SIGTERM or SIGINT stop \
            it gracefully.
            """
    )

    @Option(name: .long, help: "The mirror's SQLite file.") var database = "indexer.sqlite"
    @Option(name: .long, help: "UDP host:port of the indexer's DHT node (repeatable).") var dhtListen: [String] = []
    @Option(name: .long, help: "host:port of a DHT node to join through (repeatable).") var bootstrap: [String] = []
    @Option(name: .long, help: "HTTP host:port (port 0: any free port).") var http = "127.0.0.1:7700"
    @Option(name: .long, help: "Probes per second (the crawl-rate bound).") var rate: Double = 100
    @Option(name: .long, help: "Probes outstanding at once.") var inFlight = 32
    @Option(name: .long, help: "Seconds between two fetches of one agent's record.") var revisit: Double = 300
    @Option(name: .long, help: "Agents kept per source address.") var perSource = 64
    @Option(name: .long, help: "Agents kept overall.") var maximumAgents = 1_000_000
    @Option(name: .long, help: "HTTP requests per second per client.") var httpRate: Double = 20
    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error.") var logLevel = "warning"

    func run() throws {
        ServerTimeZone.useGMT()
        try CLIRunner.run {
            guard let level = Logger.Level(rawValue: logLevel) else { throw CLIError("bad --log-level \(logLevel)") }
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
            let configuration = try makeConfiguration()
            let failure = LockedValue<String?>(nil)
            let done = DispatchSemaphore(value: 0)
            Task {
                do {
                    try await Self.serve(configuration)
                } catch {
                    failure.withLock { $0 = "\(error)" }
                }
                done.signal()
            }
            done.wait()
            if let message = failure.withLock({ $0 }) { throw CLIError(message) }
        }
    }

    func makeConfiguration() throws -> IndexerConfiguration {
        let listen = try (dhtListen.isEmpty ? ["127.0.0.1:0"] : dhtListen).map {
            try TransportAddress.resolve($0).socketAddress
        }
        let seeds = try bootstrap.map { try TransportAddress.resolve($0) }
        var configuration = IndexerConfiguration(databasePath: database, dhtListen: listen, seeds: seeds)
        guard let colon = http.lastIndex(of: ":"), let port = Int(http[http.index(after: colon)...]),
            (0...65_535).contains(port)
        else { throw CLIError("--http \(http) is not host:port") }
        configuration.httpHost = String(http[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        configuration.httpPort = port
        guard rate > 0, inFlight > 0, revisit > 0, perSource > 0, maximumAgents > 0, httpRate > 0 else {
            throw CLIError(
                "--rate, --in-flight, --revisit, --per-source, --maximum-agents and --http-rate are positive"
            )
        }
        configuration.crawler.requestsPerSecond = rate
        configuration.crawler.burst = max(1, min(rate, 20))
        configuration.crawler.maximumInFlight = inFlight
        configuration.crawler.revisitInterval = .milliseconds(Int64(revisit * 1_000))
        configuration.limits.maximumAgentsPerSource = perSource
        configuration.limits.maximumAgents = maximumAgents
        configuration.httpRate = TokenRate(perSecond: httpRate, burst: httpRate * 2)
        return configuration
    }

    /// One JSON object per line on stdout, slashes unescaped so a URL reads as it is.
    static func printLine(_ object: [String: String]) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(object)) ?? Data()
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }

    static func serve(_ configuration: IndexerConfiguration) async throws {
        let logger = Logger(label: "meshpeer.indexer")
        // The process's one event-loop group, for the DHT node and the HTTP server.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let mirror = try Mirror(path: configuration.databasePath, limits: configuration.limits)
        let status = IndexerStatus(started: SystemClock().now())
        let terminal = isatty(STDERR_FILENO) == 1
        let crawl = CrawlService(
            configuration: configuration,
            mirror: mirror,
            status: status,
            signingKey: Ed25519.PrivateKey(),
            group: group,
            logger: logger,
            progress: { stats, agents in
                guard terminal else { return }
                let line =
                    "\rnodes seen \(stats.nodesSeen), answered \(stats.nodesAnswered), records verified "
                    + "\(stats.recordsVerified), agents \(agents), probes \(stats.probesSent)   "
                FileHandle.standardError.write(Data(line.utf8))
            }
        )
        let http = IndexerHTTP.makeApplication(
            configuration: configuration,
            mirror: mirror,
            status: status,
            group: group,
            logger: logger,
            onBound: { url in printLine(["event": "listening", "http": url]) }
        )
        let services = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: crawl), .init(service: http)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await services.run()
        try await group.shutdownGracefully()
        printLine(["event": "stopped"])
    }
}
