import Logging
import MeshCore
import NIOCore
import NIOPosix

extension RelayServer {
    /// Binds every listener on one port (port 0: the first picks it, the rest take the same), so a relay on
    /// `localhost` is at 127.0.0.1:P and [::1]:P. On a host without IPv6 an IPv6 listener is skipped or replaced
    /// by its IPv4 fallback, with a logged note; any other failure closes what was bound and throws.
    static func bind(
        _ listeners: [RelayListener],
        port requested: Int,
        bootstrap: @Sendable () -> ServerBootstrap,
        logger: Logger
    ) async throws -> [any Channel] {
        var channels: [any Channel] = []
        var port = requested
        do {
            for listener in listeners {
                do {
                    channels.append(try await bind(listener.host, port, dualStack: listener.dualStack, bootstrap()))
                } catch let error as IOError where DualStack.meansNoIPv6(errno: error.errnoCode) {
                    switch listener.whenMissing {
                    case .fatal:
                        throw error
                    case .skip:
                        logger.notice(
                            "no IPv6 on this host: not listening on [\(listener.host)]:\(port) (\(error)); IPv4 only"
                        )
                    case .fallBack(let host):
                        let note =
                            "no IPv6 on this host: listening on \(host):\(port) instead of [\(listener.host)]:\(port) "
                            + "(\(error)); IPv4 only"
                        logger.notice("\(note)")
                        channels.append(try await bind(host, port, dualStack: false, bootstrap()))
                    }
                }
                if port == 0, let bound = channels.first?.localAddress?.port { port = bound }
            }
        } catch {
            for channel in channels { try? await channel.close() }
            throw error
        }
        return channels
    }

    /// One listening socket. An IPv6 literal gets `IPV6_V6ONLY` set explicitly, on for a single address and off for
    /// the dual-stack wildcard, rather than whatever `net.ipv6.bindv6only` says on this host.
    private static func bind(
        _ host: String,
        _ port: Int,
        dualStack: Bool,
        _ bootstrap: ServerBootstrap
    ) async throws -> any Channel {
        var bootstrap = bootstrap
        if host.contains(":") {
            bootstrap = bootstrap.serverChannelOption(
                ChannelOptions.Types.SocketOption(level: .ipv6, name: .ipv6_v6only),
                value: dualStack ? 0 : 1
            )
        }
        return try await bootstrap.bind(host: host, port: port).get()
    }
}
