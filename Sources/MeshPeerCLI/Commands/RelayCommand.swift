import ArgumentParser
import CLISupport
import Dispatch
import Foundation
import Logging
import MeshCore
import Metrics
import NIOPosix
import Prometheus
import RelayFallback
import RelayServer

/// `meshpeer relay`: runs a volunteer relay until SIGTERM or SIGINT, then shuts down gracefully; SIGHUP reloads
/// the TLS certificate and key.
struct RelayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relay",
        abstract: "Run a relay: WebSocket forwarding and store-and-forward for offline agents.",
        discussion: """
            Settings come from --config (JSON, see docs/operators.md); the flags below override it. The relay's \
            own key is created in the data directory on first start. With a "dht" object in the config, or any of \
            --advertise, --dht-listen, --bootstrap, it also runs a DHT bootstrap node (Kademlia and STUN on UDP) \
            and publishes its signed advert there. An advert may name only addresses other machines can reach: \
            loopback, private and link-local ones are refused unless --lab. /metrics and /healthz are served on \
            their own listener (--metrics-listen, loopback by default). When it is listening it prints one JSON \
            line on stdout: {"event":"listening","port":…,"metrics_port":…,"node_id":…,"public_key":…[,"dht_port":…]}.
            """
    )

    @Option(help: "JSON config file (see docs/operators.md).") var config: String?
    @Option(
        help: ArgumentHelp(
            "Address to listen on, host:port (default localhost:7400: 127.0.0.1 and ::1; [::]:PORT is both "
                + "families on every interface; port 0 picks one)."
        )
    ) var listen: String?
    @Option(help: "Data directory for the relay's key and envelope store.") var data: String?
    @Option(
        name: .long,
        help: "The URL clients should use, e.g. wss://relay.example.org/relay (repeatable; replaces dht.advertise)."
    )
    var advertise: [String] = []
    @Option(
        name: .long,
        help: "UDP host:port for the DHT node (repeatable; replaces dht.listen: 0.0.0.0:4646, [::]:4646)."
    )
    var dhtListen: [String] = []
    @Option(name: .long, help: "host:port of a DHT node to join through (repeatable; replaces dht.bootstrap).")
    var bootstrap: [String] = []
    @Flag(name: .long, help: "A lab network: allow advertising loopback, private and link-local addresses.")
    var lab = false
    @Option(
        name: .long,
        help: """
            Address of a reverse proxy in front of the relay (repeatable; replaces trustedProxies): its \
            X-Forwarded-For names the client.
            """
    )
    var trustedProxy: [String] = []
    @Flag(
        name: .long,
        help: """
            Read a PROXY protocol header (v2: HAProxy send-proxy-v2; v1: nginx stream proxy_protocol) first \
            from every connection of a --trusted-proxy (config proxyProtocol); a header from anyone else is refused.
            """
    )
    var proxyProtocol = false
    @Option(name: .long, help: "host:port for /metrics and /healthz (default 127.0.0.1:7401; port 0 with --listen :0).")
    var metricsListen: String?
    @Option(name: .long, help: "Log format on stderr: text or json (one object per line).")
    var logFormat: LogFormat = .text
    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error.") var logLevel = "info"

    func run() throws {
        try CLIRunner.run {
            guard let level = Logger.Level(rawValue: logLevel) else {
                throw CLIError("--log-level \(logLevel) is not one of trace, debug, info, notice, warning, error")
            }
            let configuration = try effectiveConfiguration()
            logFormat.bootstrap(level: level)
            let identity = try Self.identity(in: configuration.dataDirectory)
            OpenFileLimit.raise(
                forConnections: configuration.limits.maximumConnections,
                logger: Logger(label: "meshpeer.relay")
            )
            let failure = LockedValue<String?>(nil)
            let done = DispatchSemaphore(value: 0)
            let settings = configuration
            Task {
                do {
                    try await Self.serve(settings, identity: identity)
                } catch {
                    failure.withLock { $0 = "\(error)" }
                }
                done.signal()
            }
            done.wait()
            if let message = failure.withLock({ $0 }) { throw CLIError(message) }
        }
    }

    /// The config file with the flags laid over it: a flag replaces the file's value. Any DHT flag turns the DHT
    /// node on (an advert is only useful in the DHT).
    func effectiveConfiguration() throws -> RelayServerConfiguration {
        var configuration = try loadConfiguration()
        if let listen { configuration.listen = listen }
        if let data { configuration.dataDirectory = data }
        if let metricsListen { configuration.metricsListen = metricsListen }
        if lab { configuration.lab = true }
        if proxyProtocol { configuration.proxyProtocol = true }
        if !trustedProxy.isEmpty {
            for proxy in trustedProxy where ClientAddress.normalized(proxy) != proxy {
                throw CLIError("--trusted-proxy \(proxy) is not an IP address (write 127.0.0.1 or ::1, no port)")
            }
            configuration.trustedProxies = trustedProxy
        }
        if !advertise.isEmpty || !dhtListen.isEmpty || !bootstrap.isEmpty {
            var dht = configuration.dht ?? RelayDHTConfiguration()
            if !advertise.isEmpty { dht.advertise = advertise }
            if !dhtListen.isEmpty { dht.listen = dhtListen }
            if !bootstrap.isEmpty { dht.bootstrap = bootstrap }
            configuration.dht = dht
        }
        try configuration.check()
        return configuration
    }

    private func loadConfiguration() throws -> RelayServerConfiguration {
        guard let config else { return RelayServerConfiguration(dataDirectory: "relay-data") }
        guard let bytes = FileManager.default.contents(atPath: config), bytes.count <= 1_048_576 else {
            throw CLIError("cannot read the config file \(config)")
        }
        do {
            return try JSONDecoder().decode(RelayServerConfiguration.self, from: bytes)
        } catch {
            throw CLIError("the config file \(config) is not valid: \(error)")
        }
    }

    /// The relay's key lives in its data directory (plain: a relay restarts unattended).
    static func identity(in directory: String) throws -> AgentIdentity {
        let keystore = Keystore(home: directory)
        if keystore.hasIdentity { return try keystore.loadIdentity(passphrase: nil) }
        var random = SystemRandom()
        return try keystore.createIdentity(passphrase: nil, random: &random)
    }

    static func serve(_ configuration: RelayServerConfiguration, identity: AgentIdentity) async throws {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let signals = SignalWaiter([SIGTERM, SIGINT, SIGHUP])
        // The relay process's one event-loop group, for the server and its DHT node.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await RelayServer.start(
            identity: identity,
            configuration: configuration,
            registry: registry,
            group: group
        )
        var dht: RelayDHTNode?
        do {
            if let settings = configuration.dht {
                dht = try await RelayDHTNode.start(
                    settings,
                    identity: identity,
                    relay: configuration,
                    relayPort: server.localPort,
                    group: group,
                    logger: Logger(label: "meshpeer.relay.dht")
                )
            }
        } catch {
            try? await server.shutdown()
            throw error
        }
        var ready: [String: Any] = [
            "event": "listening", "port": server.localPort, "metrics_port": server.metricsPort,
            "node_id": identity.nodeID.hex,
            "public_key": Hex.encode(identity.publicKey.rawRepresentation),
        ]
        if let dht {
            ready["dht_port"] = dht.port
            ready["dht_addresses"] = dht.session.addresses
        }
        printJSONLine(ready)
        dht?.listeningAnnounced()
        var signal = await signals.next()
        while signal == SIGHUP {
            reloadTLS(server)
            signal = await signals.next()
        }
        Logger(label: "meshpeer.relay").info("shutting down", metadata: ["signal": "\(signal)"])
        await dht?.close()
        try await server.shutdown()
        try await group.shutdownGracefully()
        printJSONLine(["event": "stopped"])
    }

    /// SIGHUP: load the TLS certificate and key again (after a renewal) without dropping a connection. A bad
    /// file leaves the old certificate in use and says why.
    static func reloadTLS(_ server: RelayServer) {
        let logger = Logger(label: "meshpeer.relay")
        do {
            if try server.reloadTLS() {
                logger.info("TLS certificate reloaded")
                printJSONLine(["event": "tls-reloaded"])
            } else {
                printJSONLine(["event": "tls-reload-failed", "error": "this relay has no tls configuration"])
            }
        } catch {
            logger.error("TLS reload failed; the old certificate stays in use", metadata: ["error": "\(error)"])
            printJSONLine(["event": "tls-reload-failed", "error": "\(error)"])
        }
    }

    static func printJSONLine(_ object: [String: Any]) {
        let text = SortedJSON.line(object)
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }
}

/// Turns SIGTERM/SIGINT into an awaitable event (the default handlers are replaced, so the process does not
/// die before it has flushed).
final class SignalWaiter {
    private let stream: AsyncStream<Int32>
    private let sources: [any DispatchSourceSignal]

    init(_ signals: [Int32]) {
        let (stream, sink) = AsyncStream.makeStream(of: Int32.self)
        self.stream = stream
        sources = signals.map { number in
            Foundation.signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { sink.yield(number) }
            source.resume()
            return source
        }
    }

    func next() async -> Int32 {
        for await number in stream { return number }
        return 0
    }
}
