import MeshPeer
import NIOCore
import NIOHTTP1
import NIOPosix

/// A minimal HTTP/1.1 client for the local API: one connection per request (`Connection: close`), on the caller's
/// event-loop group. Enough for loopback; no TLS, redirects, pooling or proxies.
struct LoopbackHTTP: Sendable {
    let group: any EventLoopGroup
    let host: String
    let port: Int
    /// The largest response body a plain request collects (event streams are read incrementally instead).
    static let maximumResponseBytes = 16 * 1024 * 1024

    struct Reply: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: ByteBuffer
    }

    /// Sends one request and collects the whole response.
    func request(_ method: HTTPMethod, _ path: String, token: String, body: ByteBuffer? = nil) async throws -> Reply {
        var reply = Reply(status: 0, headers: [:], body: ByteBuffer())
        try await exchange(method, path, token: token, accept: "application/json", body: body) { head in
            reply.status = Int(head.status.code)
            reply.headers = head.headers
        } onBody: { part in
            guard reply.body.readableBytes + part.readableBytes <= Self.maximumResponseBytes else {
                throw NodeAPIError(
                    .unavailable,
                    "the node's response is larger than \(Self.maximumResponseBytes) bytes"
                )
            }
            var part = part
            reply.body.writeBuffer(&part)
        }
        return reply
    }

    /// Sends one request and hands the response head, then each body part as it arrives, to the callbacks.
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
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(.seconds(5))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(
                        wrappingChannelSynchronously: channel
                    )
                }
            }
        let underlying = channel.channel
        try await withTaskCancellationHandler {
            try await channel.executeThenClose { inbound, outbound in
                var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
                head.headers.add(name: "Host", value: host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)")
                head.headers.add(name: "Authorization", value: "Bearer \(token)")
                head.headers.add(name: "Accept", value: accept)
                head.headers.add(name: "Connection", value: "close")
                if let body {
                    head.headers.add(name: "Content-Type", value: "application/json")
                    head.headers.add(name: "Content-Length", value: String(body.readableBytes))
                }
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
