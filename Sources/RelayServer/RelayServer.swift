import Logging
import MeshCore
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket
import Prometheus
import RelayFallback

/// A running relay: one event loop, a WebSocket endpoint at `/relay` and `/healthz` on its port, `/metrics` and
/// `/healthz` on a second (loopback by default) listener, and the envelope store in the data directory. The loop comes from the caller's group (a node that also
/// runs a relay: one group per process), or from a one-thread group of its own when none is given.
public final class RelayServer: Sendable {
    public let identity: AgentIdentity
    public let localPort: Int
    /// The port of the `/metrics` and `/healthz` listener.
    public let metricsPort: Int
    /// The listening sockets: one, or two for `localhost` (127.0.0.1 and ::1; `RelayListener`).
    let channels: [any Channel]
    let metricsChannel: any Channel
    let service: RelayService
    let graceSeconds: Double
    /// The TLS configuration and the context new connections use; `reloadTLS` swaps the context, connections
    /// already open keep the one they started with.
    let tlsConfiguration: RelayTLSConfiguration?
    let tlsContext: LockedValue<NIOSSLContext?>

    /// The WebSocket path clients connect to.
    public static let path = "/relay"

    public static func start(
        identity: AgentIdentity,
        configuration: RelayServerConfiguration,
        registry: PrometheusCollectorRegistry? = nil,
        group callerGroup: any EventLoopGroup,
        clock: any MeshClock = SystemClock(),
        logger: Logger = Logger(label: "meshpeer.relay")
    ) async throws -> RelayServer {
        let (listeners, requestedPort) = try configuration.listeners()
        try SecureFile.makeDirectory(configuration.dataDirectory)
        let store = try EnvelopeStore(path: configuration.dataDirectory + "/relay.sqlite")
        // One loop: the hub is single-threaded by design, and the relay is IO- and SQLite-bound. Every channel
        // of the relay is bound to it (the server bootstrap is given the loop itself, not a group).
        let loop = callerGroup.next()
        let group: any EventLoopGroup = loop
        let limits = configuration.limits
        let clientAddress = ClientAddress(trustedProxies: Set(configuration.trustedProxies))
        let proxyProtocol = configuration.proxyProtocol
        let tls = LockedValue(try configuration.tls?.makeContext())
        let adversary = configuration.adversary
        if adversary != nil {
            guard configuration.lab else {
                throw RelayServerError("adversary: a relay that lies runs only in a lab (\"lab\": true or --lab)")
            }
            logger.warning("this relay is HOSTILE: it drops, delays, replays and corrupts envelopes (a lab test)")
        }
        let service = try await loop.submit {
            try RelayService(
                identity: identity,
                limits: limits,
                store: store,
                eventLoop: loop,
                clock: clock,
                logger: logger,
                adversary: adversary
            )
        }.get()
        let gate = try await loop.submit {
            NIOLoopBound(
                ConnectionGate(limit: 2 * limits.connectionsPerSource, trusted: Set(configuration.trustedProxies)),
                eventLoop: loop
            )
        }.get()
        // A fresh bootstrap per socket: its options are per socket (IPV6_V6ONLY differs between them).
        let bootstrap = { @Sendable () -> ServerBootstrap in
            ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 1_024)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .childChannelOption(
                    .writeBufferWaterMark,
                    value: ChannelOptions.Types.WriteBufferWaterMark(
                        low: limits.outputBufferMaximumBytes / 2,
                        high: limits.outputBufferMaximumBytes
                    )
                )
                .childChannelOption(
                    .recvAllocator,
                    value: AdaptiveRecvByteBufferAllocator(minimum: 256, initial: 2_048, maximum: 262_144)
                )
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        guard gate.value.admit(channel) else {
                            channel.close(promise: nil)
                            return
                        }
                        try channel.pipeline.syncOperations.addHandler(
                            OutputBound(
                                stuckTimeout: .milliseconds(Int64(limits.stuckClientTimeoutSeconds * 1_000)),
                                paused: service.metrics.readsPaused,
                                pausedAt: service.metrics.outputAtLastPause,
                                dropped: service.metrics.stuckDropped
                            )
                        )
                        let proxied = LockedValue<ProxiedClient?>(nil)
                        if proxyProtocol {
                            // Before TLS: the proxy writes the header ahead of the client's ClientHello.
                            let trusted = clientAddress.isTrusted(ClientAddress.peer(channel.remoteAddress))
                            let mode: ProxyHeaderReader.Mode = trusted ? .required : .refuseForged
                            try channel.pipeline.syncOperations.addHandler(
                                ProxyHeaderHandler(
                                    reader: ProxyHeaderReader(mode: mode, now: clock.now()),
                                    clock: clock,
                                    source: proxied,
                                    counters: service.metrics.proxyHeaders,
                                    admit: { gate.value.admit(channel, as: $0) }
                                )
                            )
                        }
                        if let context = tls.withLock({ $0 }) {
                            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                        }
                        try Self.configure(
                            channel,
                            service: service,
                            registry: registry,
                            limits: limits,
                            clientAddress: clientAddress,
                            proxied: proxied
                        )
                    }
                }
        }
        let channels = try await Self.bind(listeners, port: requestedPort, bootstrap: bootstrap, logger: logger)
        let metricsChannel: any Channel
        do {
            metricsChannel = try await bindMetrics(
                configuration.effectiveMetricsListen,
                loop: loop,
                service: service,
                registry: registry
            )
        } catch {
            for channel in channels { try? await channel.close() }
            throw error
        }
        try await loop.submit { service.startTimer() }.get()
        return RelayServer(
            identity: identity,
            localPort: channels.first?.localAddress?.port ?? requestedPort,
            metricsPort: metricsChannel.localAddress?.port ?? 0,
            channels: channels,
            metricsChannel: metricsChannel,
            service: service,
            graceSeconds: configuration.shutdownGraceSeconds,
            tlsConfiguration: configuration.tls,
            tlsContext: tls
        )
    }

    init(
        identity: AgentIdentity,
        localPort: Int,
        metricsPort: Int,
        channels: [any Channel],
        metricsChannel: any Channel,
        service: RelayService,
        graceSeconds: Double,
        tlsConfiguration: RelayTLSConfiguration?,
        tlsContext: LockedValue<NIOSSLContext?>
    ) {
        self.tlsConfiguration = tlsConfiguration
        self.tlsContext = tlsContext
        self.identity = identity
        self.localPort = localPort
        self.metricsPort = metricsPort
        self.metricsChannel = metricsChannel
        self.channels = channels
        self.service = service
        self.graceSeconds = graceSeconds
    }

    /// Loads the certificate chain and key again (a renewed certificate, SIGHUP in `meshpeer relay`) for the
    /// connections accepted from now on. On any error the old context stays in use and the error is thrown.
    /// Returns false when the relay has no TLS.
    @discardableResult
    public func reloadTLS() throws -> Bool {
        guard let tlsConfiguration else { return false }
        let context = try tlsConfiguration.makeContext()
        tlsContext.withLock { $0 = context }
        return true
    }

    /// Graceful shutdown: stop accepting, tell every client (`shuttingDown`), write live deliveries to disk,
    /// wait for connections to close (up to the grace period), checkpoint the WAL and close the store.
    public func shutdown() async throws {
        for channel in channels { try? await channel.close() }
        let service = self.service
        try await service.eventLoop.submit { service.beginShutdown() }.get()
        let deadline = ContinuousClock.now + .milliseconds(Int64(graceSeconds * 1_000))
        while ContinuousClock.now < deadline {
            let open = try await service.eventLoop.submit { service.openChannelCount }.get()
            if open == 0 { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        try? await metricsChannel.close()
        try await service.eventLoop.submit {
            try service.store.checkpoint()
            try service.store.close()
        }.get()
    }

    static func configure(
        _ channel: any Channel,
        service: RelayService,
        registry: PrometheusCollectorRegistry?,
        limits: RelayLimits,
        clientAddress: ClientAddress = ClientAddress(trustedProxies: []),
        proxied: LockedValue<ProxiedClient?> = LockedValue(nil)
    ) throws {
        // Slowloris before the upgrade: the whole HTTP exchange and login share the login deadline; the hub
        // enforces it again after the upgrade.
        let deadline = channel.eventLoop.scheduleTask(
            in: .milliseconds(Int64(limits.authenticationTimeoutSeconds * 1_000) + 500)
        ) {
            channel.close(promise: nil)
        }
        let http = RelayHTTPHandler(service: service, registry: registry, servesMetrics: false)
        let upgrader = NIOWebSocketServerUpgrader(
            maxFrameSize: RelayFallbackModule.maximumWebSocketMessage,
            shouldUpgrade: { channel, head in
                channel.eventLoop.makeSucceededFuture(head.uri == RelayServer.path ? HTTPHeaders() : nil)
            },
            upgradePipelineHandler: { channel, head in
                deadline.cancel()
                // The client a trusted proxy's PROXY header named stands in for the TCP peer; its own
                // X-Forwarded-For counts only if that client is itself a trusted proxy (a chain of proxies).
                let client = proxied.withLock { $0 }
                let source = clientAddress.source(
                    peer: client?.address ?? ClientAddress.peer(channel.remoteAddress),
                    forwardedFor: client?.forwardedForCounts == false ? [] : head.headers["X-Forwarded-For"]
                )
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        RelayWebSocketHandler(service: service, source: source)
                    )
                }
            }
        )
        try channel.pipeline.syncOperations.configureHTTPServerPipeline(
            withServerUpgrade: (
                upgraders: [upgrader],
                completionHandler: { context in
                    context.pipeline.removeHandler(name: "relay-http", promise: nil)
                }
            )
        )
        try channel.pipeline.syncOperations.addHandler(http, name: "relay-http")
    }
}
