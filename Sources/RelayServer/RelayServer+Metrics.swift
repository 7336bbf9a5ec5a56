import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus

extension RelayServer {
    /// The operator's listener: plain HTTP with `/metrics` and `/healthz` only, on loopback unless the config says
    /// otherwise (`metricsListen`), so the relay's public port does not publish its counters. On the relay's loop;
    /// at most `maximumConnections` scrapers at once is far more than enough, and each connection answers one
    /// request and closes.
    static func bindMetrics(
        _ listen: String,
        loop: any EventLoop,
        service: RelayService,
        registry: PrometheusCollectorRegistry?
    ) async throws -> any Channel {
        let (host, port) = try RelayServerConfiguration.split(listen, key: "metricsListen")
        do {
            return try await ServerBootstrap(group: loop)
                .serverChannelOption(.backlog, value: 64)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let timeout = channel.eventLoop.scheduleTask(in: .seconds(10)) { channel.close(promise: nil) }
                        channel.closeFuture.whenComplete { _ in timeout.cancel() }
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                        try channel.pipeline.syncOperations.addHandler(
                            RelayHTTPHandler(service: service, registry: registry, servesMetrics: true)
                        )
                    }
                }
                .bind(host: host, port: port)
                .get()
        } catch {
            throw RelayServerError(
                "metricsListen: cannot listen on \(listen) (\(error)); set another with --metrics-listen or "
                    + "\"metricsListen\" in the config"
            )
        }
    }
}
