import MeshPeer
import NIOCore
import NIOHTTP1

/// One request handed to a kept-alive connection, and the promise its answer completes.
struct PooledExchange: Sendable {
    var head: HTTPRequestHead
    var body: ByteBuffer?
    var answer: EventLoopPromise<PooledAnswer>
}

/// A whole response, and whether the connection may carry another request after it.
struct PooledAnswer: Sendable {
    var reply: LoopbackHTTP.Reply
    var reusable: Bool
}

/// The connection closed (or failed) before the answer's end. `answerBegun` says whether any byte of an answer had
/// arrived: a connection that closes before one did is most likely one the server had already given up as idle,
/// which is what decides whether a request may be tried again on a fresh connection (`LoopbackHTTP.request`).
struct ConnectionEndedEarly: Error {
    var answerBegun: Bool
}

/// Runs one HTTP/1.1 exchange at a time on a connection that outlives it (no pipelining: the local API answers in
/// order and a second request could only queue behind the first). Lives at the tail of the pipeline, after NIO's
/// client codec; only the event loop touches its state.
final class PooledExchangeHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = PooledExchange
    typealias OutboundOut = HTTPClientRequestPart

    private var pending: EventLoopPromise<PooledAnswer>?
    private var reply = LoopbackHTTP.Reply(status: 0, headers: [:], body: ByteBuffer())
    private var sawHead = false
    private var answerBegun = false
    private var keepAlive = false

    /// Accepts the exchange (completing `promise` at once, so a failed write promise can only mean the exchange never
    /// reached this handler) and writes the request. Write failures are not the answer: the server may answer (413,
    /// 401) and close before reading all we send, and that answer still arrives.
    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let exchange = unwrapOutboundIn(data)
        promise?.succeed(())
        guard pending == nil else {
            exchange.answer.fail(NodeAPIError(.unavailable, "a kept-alive connection was handed a second request"))
            return
        }
        pending = exchange.answer
        reply = LoopbackHTTP.Reply(status: 0, headers: [:], body: ByteBuffer())
        sawHead = false
        answerBegun = false
        keepAlive = exchange.head.isKeepAlive
        context.write(wrapOutboundOut(.head(exchange.head)), promise: nil)
        if let body = exchange.body { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let answer = pending else {
            // Bytes nobody asked for: the connection's framing can no longer be trusted.
            context.close(promise: nil)
            return
        }
        answerBegun = true
        switch unwrapInboundIn(data) {
        case .head(let head):
            // 1xx interim responses carry no body and precede the real head.
            guard head.status.code >= 200 else { return }
            sawHead = true
            reply.status = Int(head.status.code)
            reply.headers = head.headers
            keepAlive = keepAlive && head.isKeepAlive
        case .body(var part):
            guard sawHead else { return }
            guard reply.body.readableBytes + part.readableBytes <= LoopbackHTTP.maximumResponseBytes else {
                pending = nil
                let limit = LoopbackHTTP.maximumResponseBytes
                answer.fail(NodeAPIError(.unavailable, "the node's response is larger than \(limit) bytes"))
                context.close(promise: nil)
                return
            }
            reply.body.writeBuffer(&part)
        case .end:
            guard sawHead else { return }
            pending = nil
            answer.succeed(PooledAnswer(reply: reply, reusable: keepAlive))
            if !keepAlive { context.close(promise: nil) }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(ConnectionEndedEarly(answerBegun: answerBegun))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(error)
        context.close(promise: nil)
    }

    private func fail(_ error: any Error) {
        guard let answer = pending else { return }
        pending = nil
        answer.fail(error)
    }
}
