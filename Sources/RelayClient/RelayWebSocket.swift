import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket
import RelayFallback

/// Opens a WebSocket to a relay: TCP, the HTTP/1.1 upgrade to `/relay`, then an async channel of frames.
public enum RelayWebSocket {
    public typealias Connection = NIOAsyncChannel<WebSocketFrame, WebSocketFrame>

    enum UpgradeResult: Sendable {
        case websocket(Connection)
        case refused
    }

    /// Connects on `group` (the process's one event-loop group, from the caller). Every failure is thrown as
    /// a `RelayConnectFailure` saying which step failed: TCP (`unreachable`), TLS (`tlsFailed`) or the
    /// WebSocket upgrade (`notARelay`).
    public static func connect(
        host: String,
        port: Int,
        path: String = "/relay",
        tls: RelayClientTLS? = nil,
        group: any EventLoopGroup
    ) async throws(RelayConnectFailure) -> Connection {
        let negotiation: EventLoopFuture<UpgradeResult>
        do {
            negotiation = try await bootstrap(host: host, port: port, path: path, tls: tls, group: group)
        } catch {
            throw RelayConnectFailure(.unreachable, "\(host):\(port): \(error)")
        }
        let result: UpgradeResult
        do {
            result = try await negotiation.get()
        } catch {
            throw classify(error, tls: tls != nil, host: host, port: port)
        }
        switch result {
        case .websocket(let connection): return connection
        case .refused: throw RelayConnectFailure(.notARelay, "\(host):\(port) did not upgrade to a WebSocket")
        }
    }

    /// A failure after TCP connected: with TLS configured, anything before the upgrade answer is the TLS
    /// handshake's (an SSL error, a certificate that names another host, or a server that closed on our
    /// ClientHello); without, the upgrade's. (A certificate for another address was once reported as `notARelay`:
    /// NIOSSL throws `NIOSSLExtraError` for a failed hostname check.)
    static func classify(_ error: any Error, tls: Bool, host: String, port: Int) -> RelayConnectFailure {
        if error is NIOSSLError || error is BoringSSLError || error is NIOSSLExtraError {
            return RelayConnectFailure(.tlsFailed, "\(host):\(port): TLS handshake failed: \(error)")
        }
        if tls, let channelError = error as? ChannelError, channelError == .eof || channelError == .ioOnClosedChannel {
            return RelayConnectFailure(.tlsFailed, "\(host):\(port): closed during the TLS handshake (\(error))")
        }
        return RelayConnectFailure(.notARelay, "\(host):\(port): the WebSocket upgrade failed: \(error)")
    }

    private static func bootstrap(
        host: String,
        port: Int,
        path: String,
        tls: RelayClientTLS?,
        group: any EventLoopGroup
    ) async throws -> EventLoopFuture<UpgradeResult> {
        try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(5))
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(
                            NIOSSLClientHandler(context: tls.context, serverHostname: tls.hostname(connectingTo: host))
                        )
                    }
                    let upgrader = NIOTypedWebSocketClientUpgrader<UpgradeResult>(
                        maxFrameSize: RelayFallbackModule.maximumWebSocketMessage,
                        upgradePipelineHandler: { channel, _ in
                            channel.eventLoop.makeCompletedFuture {
                                try channel.pipeline.syncOperations.addHandler(
                                    NIOWebSocketFrameAggregator(
                                        minNonFinalFragmentSize: 1,
                                        maxAccumulatedFrameCount: 64,
                                        maxAccumulatedFrameSize: RelayFallbackModule.maximumWebSocketMessage
                                    )
                                )
                                return UpgradeResult.websocket(try Connection(wrappingChannelSynchronously: channel))
                            }
                        }
                    )
                    var headers = HTTPHeaders()
                    headers.add(name: "Host", value: "\(host):\(port)")
                    headers.add(name: "Content-Length", value: "0")
                    let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)
                    let configuration = NIOTypedHTTPClientUpgradeConfiguration(
                        upgradeRequestHead: head,
                        upgraders: [upgrader],
                        notUpgradingCompletionHandler: { channel in
                            channel.eventLoop.makeCompletedFuture { UpgradeResult.refused }
                        }
                    )
                    var pipeline = NIOUpgradableHTTPClientPipelineConfiguration(upgradeConfiguration: configuration)
                    // The relay's challenge may arrive in the same read as the 101 response: keep those bytes.
                    pipeline.leftOverBytesStrategy = .forwardBytes
                    return try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(
                        configuration: pipeline
                    )
                }
            }
    }

    /// One binary message as a frame. Clients must mask their frames (RFC 6455 §5.3).
    public static func binary(_ bytes: [UInt8], maskingKey: WebSocketMaskingKey? = .random()) -> WebSocketFrame {
        WebSocketFrame(fin: true, opcode: .binary, maskKey: maskingKey, data: ByteBuffer(bytes: bytes))
    }
}

public struct RelayClientError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
