import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A real HTTP/1.1 server on 127.0.0.1 that answers by a script, to show what the client does with connections a
/// server treats this way: `answerFirstOnly` answers the first request of each connection and closes the connection
/// on the next without a byte (a server that gave the connection up as idle just as the request arrived);
/// `closeAfterEach` answers every request with `Connection: close`.
final class ScriptedHTTPServer: Sendable {
    enum Script: Sendable {
        case answerFirstOnly
        case closeAfterEach
    }

    struct Counts: Sendable, Equatable {
        var connections = 0
        var requests = 0
    }

    let port: Int
    /// One element each time a connection ends (whichever side closed it).
    let closed: AsyncStream<Void>
    private let channel: any Channel
    private let counts: Tally

    init(_ script: Script, group: any EventLoopGroup) async throws {
        let counts = Tally()
        let (closed, closedSink) = AsyncStream<Void>.makeStream()
        let channel = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                counts.state.withLock { $0.connections += 1 }
                channel.closeFuture.whenComplete { _ in closedSink.yield() }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Responder(script: script, counts: counts))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        self.channel = channel
        self.port = channel.localAddress?.port ?? 0
        self.closed = closed
        self.counts = counts
    }

    var seen: Counts { counts.state.withLock { $0 } }

    func close() async throws {
        try await channel.close()
    }

    private final class Tally: Sendable {
        let state = Mutex(Counts())
    }

    private final class Responder: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let script: Script
        let counts: Tally
        private var requestsHere = 0

        init(script: Script, counts: Tally) {
            self.script = script
            self.counts = counts
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard case .end = unwrapInboundIn(data) else { return }
            counts.state.withLock { $0.requests += 1 }
            requestsHere += 1
            if script == .answerFirstOnly && requestsHere > 1 {
                context.close(promise: nil)
                return
            }
            let body = ByteBuffer(string: "{\"n\":\(requestsHere)}")
            var head = HTTPResponseHead(version: .http1_1, status: .ok)
            head.headers.add(name: "Content-Length", value: String(body.readableBytes))
            if script == .closeAfterEach { head.headers.add(name: "Connection", value: "close") }
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
            let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
            if script == .closeAfterEach {
                done.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            }
        }
    }
}
