import MeshPeer
import NIOCore
import NIOHTTP1
import NIOPosix

/// A minimal HTTP/1.1 client for the local API, on the caller's event-loop group. Plain requests reuse kept-alive
/// connections (`LoopbackConnectionPool`), as the Python client's httpx does; event streams get a connection of
/// their own (`Connection: close`). Enough for loopback; no TLS, redirects or proxies.
struct LoopbackHTTP: Sendable {
    let group: any EventLoopGroup
    let host: String
    let port: Int
    let pool = LoopbackConnectionPool()
    /// The largest response body a plain request collects (event streams are read incrementally instead).
    static let maximumResponseBytes = 16 * 1024 * 1024

    struct Reply: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: ByteBuffer
    }

    /// Sends one request and collects the whole response, on an idle kept-alive connection when there is one.
    ///
    /// A reused connection that closes before any byte of an answer was most likely closed by the server as idle
    /// just as the request went out, and the request is tried once more on a fresh connection, but only if it is
    /// a GET, or if the request never reached the connection's handler. A POST is not repeated: the node may have
    /// carried it out, and the API has no idempotency key, so the agent gets the error and decides.
    func request(_ method: HTTPMethod, _ path: String, token: String, body: ByteBuffer? = nil) async throws -> Reply {
        let head = requestHead(method, path, token: token, accept: "application/json", body: body, keepAlive: true)
        if let channel = pool.take() {
            do {
                return try await send(head, body, on: channel)
            } catch let ended as ConnectionEndedEarly where !ended.answerBegun && (method == .GET || method == .HEAD) {
                // Fall through to a fresh connection.
            } catch is NeverReachedHandler {
                // Fall through to a fresh connection.
            } catch {
                throw Self.described(error)
            }
        }
        do {
            return try await send(head, body, on: try await connectPooled())
        } catch {
            throw Self.described(error)
        }
    }

    /// The error as the agent should read it.
    private static func described(_ error: any Error) -> any Error {
        switch error {
        case let ended as ConnectionEndedEarly:
            NodeAPIError(
                .unavailable,
                ended.answerBegun
                    ? "the node closed the connection in the middle of its answer"
                    : "the node closed the connection before answering"
            )
        case is NeverReachedHandler:
            NodeAPIError(.unavailable, "the connection to the node closed before the request was sent")
        default:
            error
        }
    }

    /// The exchange was refused before the handler saw it (the channel had already closed): nothing was sent.
    private struct NeverReachedHandler: Error {}

    private func send(_ head: HTTPRequestHead, _ body: ByteBuffer?, on channel: any Channel) async throws -> Reply {
        let answer = channel.eventLoop.makePromise(of: PooledAnswer.self)
        let written = channel.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenFailure { _ in answer.fail(NeverReachedHandler()) }
        channel.writeAndFlush(PooledExchange(head: head, body: body, answer: answer), promise: written)
        let result: PooledAnswer
        do {
            result = try await withTaskCancellationHandler {
                try await answer.futureResult.get()
            } onCancel: {
                channel.close(promise: nil)
            }
        } catch {
            try Task.checkCancellation()
            throw error
        }
        if result.reusable && channel.isActive {
            pool.park(channel)
        } else {
            channel.close(promise: nil)
        }
        return result.reply
    }

    private func connectPooled() async throws -> any Channel {
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(.seconds(5))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(PooledExchangeHandler())
                }
            }
        let channel: any Channel
        if let address = literalAddress {
            channel = try await bootstrap.connect(to: address).get()
        } else {
            channel = try await bootstrap.connect(host: host, port: port).get()
        }
        pool.noteOpened()
        return channel
    }

    /// The API's address when `host` is an IP literal (it always is for the node's own `api.json`), so a request
    /// does not go through the resolver and Happy Eyeballs.
    private var literalAddress: SocketAddress? {
        try? SocketAddress(ipAddress: host, port: port)
    }

    private func requestHead(
        _ method: HTTPMethod,
        _ path: String,
        token: String,
        accept: String,
        body: ByteBuffer?,
        keepAlive: Bool
    ) -> HTTPRequestHead {
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
        head.headers.add(name: "Host", value: host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)")
        head.headers.add(name: "Authorization", value: "Bearer \(token)")
        head.headers.add(name: "Accept", value: accept)
        if !keepAlive { head.headers.add(name: "Connection", value: "close") }
        if let body {
            head.headers.add(name: "Content-Type", value: "application/json")
            head.headers.add(name: "Content-Length", value: String(body.readableBytes))
        }
        return head
    }

    private typealias StreamChannel = NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>

    /// Sends one request on a connection of its own and hands the response head, then each body part as it arrives, to the callbacks.
    /// Returns when the response ends; task cancellation closes the connection.
    func exchange(
        _ method: HTTPMethod,
        _ path: String,
        token: String,
        accept: String,
        body: ByteBuffer? = nil,
        onHead: (HTTPResponseHead) async throws -> Void,
        onBody: (ByteBuffer) async throws -> Void
    ) async throws {
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(.seconds(5))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
        let initializer: @Sendable (any Channel) -> EventLoopFuture<StreamChannel> = { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHTTPClientHandlers()
                return try StreamChannel(wrappingChannelSynchronously: channel)
            }
        }
        let channel: StreamChannel
        if let address = literalAddress {
            channel = try await bootstrap.connect(to: address, channelInitializer: initializer)
        } else {
            channel = try await bootstrap.connect(host: host, port: port, channelInitializer: initializer)
        }
        let underlying = channel.channel
        try await withTaskCancellationHandler {
            try await channel.executeThenClose { inbound, outbound in
                let head = requestHead(method, path, token: token, accept: accept, body: body, keepAlive: false)
                do {
                    try await outbound.write(.head(head))
                    if let body { try await outbound.write(.body(.byteBuffer(body))) }
                    try await outbound.write(.end(nil))
                } catch {
                    // The server may answer (413, 401) and close before reading all we send: read its answer.
                }
                var sawHead = false
                for try await part in inbound {
                    switch part {
                    case .head(let responseHead):
                        // 1xx interim responses carry no body and precede the real head.
                        guard responseHead.status.code >= 200 else { continue }
                        sawHead = true
                        try await onHead(responseHead)
                    case .body(let buffer):
                        if sawHead { try await onBody(buffer) }
                    case .end:
                        if sawHead { return }
                    }
                }
                try Task.checkCancellation()
                throw NodeAPIError(.unavailable, "the node closed the connection before answering")
            }
        } onCancel: {
            underlying.close(promise: nil)
        }
    }
}
