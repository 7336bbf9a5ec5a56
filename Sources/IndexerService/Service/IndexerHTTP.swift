import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// Builds the HTTP API as a Hummingbird `Application` (itself a `Service`) on the caller's event-loop group.
public enum IndexerHTTP {
    public static func makeApplication(
        configuration: IndexerConfiguration,
        mirror: Mirror,
        status: IndexerStatus,
        group: any EventLoopGroup,
        logger: Logger,
        onBound: @escaping @Sendable (String) -> Void = { _ in }
    ) -> some Service {
        Application(
            responder: IndexerResponder(mirror: mirror, status: status, rate: configuration.httpRate),
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.httpHost, port: configuration.httpPort),
                serverName: "meshpeer-indexer"
            ),
            onServerRunning: { channel in
                if let address = channel.localAddress, let port = address.port, let ip = address.ipAddress {
                    onBound(address.protocol == .inet6 ? "http://[\(ip)]:\(port)" : "http://\(ip):\(port)")
                }
            },
            eventLoopGroupProvider: .shared(group),
            logger: logger
        )
    }
}
