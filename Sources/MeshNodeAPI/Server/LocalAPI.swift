import Hummingbird
import HummingbirdCore
import Logging
import MeshPeer
import NIOCore
import ServiceLifecycle

/// Builds the local agent API server for a node.
public enum LocalAPI {
    /// The API over `control` as a swift-service-lifecycle `Service`, to run in the node's `ServiceGroup`.
    ///
    /// - It serves on the caller's `eventLoopGroup` (never a group of its own).
    /// - Once listening it writes `<endpointFileDirectory>/api.json` (when given), then calls `onBound` with the
    ///   base URL (`http://127.0.0.1:PORT`); the file is removed when the service returns.
    /// - It stops on the group's graceful shutdown: open event streams and long polls end, then the listener.
    /// - `POST /v1/token/rotate` replaces the token; with `tokenDirectory` the new one is written to its
    ///   `api-token` file first.
    /// - Throws `LocalAPIError` for a configuration it must not serve (a non-loopback host, unless allowed).
    public static func makeService(
        control: any NodeControl,
        token: APIToken,
        tokenDirectory: String? = nil,
        configuration: LocalAPIConfiguration = LocalAPIConfiguration(),
        eventLoopGroup: any EventLoopGroup,
        logger: Logger,
        endpointFileDirectory: String? = nil,
        onBound: @escaping @Sendable (String) -> Void = { _ in }
    ) throws(LocalAPIError) -> LocalAPIService {
        try configuration.validate()
        let (bound, boundSink) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let responder = APIResponder(
            control: control,
            tokens: APITokenKeeper(token, directory: tokenDirectory),
            configuration: configuration
        )
        let idle = configuration.idleTimeout.components
        let application = Application(
            responder: responder,
            server: .http1(
                configuration: .init(
                    idleTimeout: .nanoseconds(idle.seconds * 1_000_000_000 + idle.attoseconds / 1_000_000_000)
                )
            ),
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.host, port: configuration.port),
                serverName: "meshpeer",
                reuseAddress: false,
                availableConnectionsDelegate: MaximumAvailableConnections(
                    configuration.maximumConnections,
                    logger: logger
                )
            ),
            onServerRunning: { channel in
                if let url = baseURL(of: channel) { boundSink.yield(url) }
                boundSink.finish()
            },
            eventLoopGroupProvider: .shared(eventLoopGroup),
            logger: logger
        )
        return LocalAPIService(
            application: application,
            bound: bound,
            boundSink: boundSink,
            endpointFileDirectory: endpointFileDirectory,
            onBound: onBound
        )
    }

    static func baseURL(of channel: any Channel) -> String? {
        channel.localAddress.flatMap(baseURL(of:))
    }

    static func baseURL(of address: SocketAddress) -> String? {
        guard let port = address.port, let ip = address.ipAddress else { return nil }
        // A dual-stack socket reports an IPv4 client's or binding's address as IPv4-mapped (::ffff:a.b.c.d): the URL
        // names the IPv4 address it stands for, as the user wrote it.
        if case .v6 = address, ip.lowercased().hasPrefix("::ffff:"), ip.contains(".") {
            return "http://\(ip.dropFirst(7)):\(port)"
        }
        if case .v6 = address { return "http://[\(ip)]:\(port)" }
        return "http://\(ip):\(port)"
    }
}

/// The running local API. Run it once, in a `ServiceGroup`; it returns after a graceful shutdown.
public struct LocalAPIService: Service {
    let application: Application<APIResponder>
    let bound: AsyncStream<String>
    let boundSink: AsyncStream<String>.Continuation
    let endpointFileDirectory: String?
    let onBound: @Sendable (String) -> Void

    public func run() async throws {
        defer { if let endpointFileDirectory { APIEndpointFile.remove(from: endpointFileDirectory) } }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { boundSink.finish() }
                try await application.run()
            }
            for await url in bound {
                if let endpointFileDirectory { try APIEndpointFile(url: url).write(to: endpointFileDirectory) }
                onBound(url)
            }
            try await group.waitForAll()
        }
    }
}
