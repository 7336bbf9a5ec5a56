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

    public static func connect(
        host: String,
        port: Int,
        path: String = "/relay",
        tls: RelayClientTLS? = nil,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> Connection {
        let negotiation: EventLoopFuture<UpgradeResult> = try await ClientBootstrap(group: group)
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
        switch try await negotiation.get() {
        case .websocket(let connection): return connection
        case .refused: throw RelayClientError("the server at \(host):\(port) did not upgrade to a WebSocket")
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
