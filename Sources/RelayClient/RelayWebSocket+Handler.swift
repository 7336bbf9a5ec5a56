import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import RelayFallback

extension RelayWebSocket {
    /// Opens a WebSocket and hands the upgraded channel to `configure`, which adds the caller's own handlers
    /// (for callers that stay on the event loop, like `RelayClientHandler` and the benchmarks).
    public static func connect(
        host: String,
        port: Int,
        path: String = "/relay",
        group: any EventLoopGroup,
        configure: @escaping @Sendable (any Channel) throws -> Void
    ) async throws -> any Channel {
        let negotiation: EventLoopFuture<(any Channel)?> = try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(5))
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let upgrader = NIOTypedWebSocketClientUpgrader<(any Channel)?>(
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
                                try configure(channel)
                                return channel
                            }
                        }
                    )
                    var headers = HTTPHeaders()
                    headers.add(name: "Host", value: "\(host):\(port)")
                    headers.add(name: "Content-Length", value: "0")
                    let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)
                    let configuration = NIOTypedHTTPClientUpgradeConfiguration<(any Channel)?>(
                        upgradeRequestHead: head,
                        upgraders: [upgrader],
                        notUpgradingCompletionHandler: { channel in channel.eventLoop.makeSucceededFuture(nil) }
                    )
                    var pipeline = NIOUpgradableHTTPClientPipelineConfiguration(upgradeConfiguration: configuration)
                    pipeline.leftOverBytesStrategy = .forwardBytes
                    return try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(
                        configuration: pipeline
                    )
                }
            }
        guard let channel = try await negotiation.get() else {
            throw RelayClientError("the server at \(host):\(port) did not upgrade to a WebSocket")
        }
        return channel
    }
}
