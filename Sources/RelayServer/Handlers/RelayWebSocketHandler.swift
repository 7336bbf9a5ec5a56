import NIOCore
import NIOWebSocket
import RelayFallback

/// Translates WebSocket frames into service calls. Binary messages carry relay frames; a text message is a
/// protocol error (answered as a malformed frame); pings are answered; a close is echoed.
final class RelayWebSocketHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let service: RelayService
    /// The address the per-source limits count this client under (`ClientAddress`).
    private let source: String
    private var id: ConnectionID?

    init(service: RelayService, source: String) {
        self.service = service
        self.source = source
    }

    func handlerAdded(context: ChannelHandlerContext) {
        id = service.open(context.channel, source: source)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard let id else { return }
        switch frame.opcode {
        case .binary:
            service.receive(id, bytes: Array(frame.unmaskedData.readableBytesView))
        case .text:
            service.receive(id, bytes: [])
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            // Our own close already went out when the relay ended the session: just finish the handshake.
            guard service.isOpen(id) else {
                context.close(promise: nil)
                return
            }
            var data = context.channel.allocator.buffer(capacity: 2)
            data.write(webSocketErrorCode: .normalClosure)
            let reply = WebSocketFrame(fin: true, opcode: .connectionClose, data: data)
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(reply)).whenComplete { _ in channel.close(promise: nil) }
        default:
            break
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        service.endOfBurst()
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let id { service.closed(id) }
        id = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
