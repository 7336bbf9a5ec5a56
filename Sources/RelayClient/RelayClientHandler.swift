import MeshCore
import NIOCore
import NIOWebSocket
import RelayFallback

/// Drives a `RelayClientMachine` for one WebSocket, entirely on the channel's event loop: no actor hops, so
/// it suits many connections at once (benchmarks, a node with many relays). It does not reconnect: when the
/// channel closes it reports `.disconnected` and the owner decides. `onEvent` runs on the event loop.
///
/// With `acknowledgesOnDelivery` (the default, for owners with nothing to make durable, like the benchmarks)
/// every delivery is acknowledged at the end of its read burst. An owner that stores deliveries passes false
/// and calls `acknowledge` after its commit, as `RelayClient` and `RelayPool` always require.
public final class RelayClientHandler: ChannelInboundHandler {
    public typealias InboundIn = WebSocketFrame
    public typealias OutboundOut = WebSocketFrame

    private var machine: RelayClientMachine<SystemRandom>
    private let onEvent: (RelayClientEvent, RelayClientHandler) -> Void
    private var context: ChannelHandlerContext?
    private let clock: any MeshClock
    private let acknowledgesOnDelivery: Bool
    private var deliveredInBurst: [EnvelopeID] = []

    public init(
        identity: AgentIdentity,
        expectedRelay: Ed25519.PublicKey?,
        acknowledgesOnDelivery: Bool = true,
        clock: any MeshClock = SystemClock(),
        onEvent: @escaping (RelayClientEvent, RelayClientHandler) -> Void
    ) {
        self.acknowledgesOnDelivery = acknowledgesOnDelivery
        machine = RelayClientMachine(identity: identity, expectedRelay: expectedRelay, random: SystemRandom())
        self.clock = clock
        self.onEvent = onEvent
        machine.start()
        _ = machine.pollAction()  // The channel is already connected: skip the machine's `.connect`.
        machine.connectionOpened()
    }

    /// Queues an envelope; false when the outbox is full. Call on the event loop.
    @discardableResult
    public func send(_ envelope: OutboundEnvelope) -> Bool {
        let queued = machine.send(envelope)
        drive(flush: true)
        return queued
    }

    /// Acknowledges deliveries the owner has made durable. Call on the event loop.
    public func acknowledge(_ ids: [EnvelopeID]) {
        machine.acknowledge(ids)
        drive(flush: true)
    }

    public var unacknowledgedSendCount: Int { machine.unacknowledgedSendCount }

    public func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .binary:
            machine.received(Array(frame.unmaskedData.readableBytesView))
            drive(flush: false)
        case .connectionClose:
            context.close(promise: nil)
        default:
            break
        }
    }

    /// Automatic acks go out once per read burst, not once per delivery.
    public func channelReadComplete(context: ChannelHandlerContext) {
        if !deliveredInBurst.isEmpty {
            machine.acknowledge(deliveredInBurst)
            deliveredInBurst.removeAll(keepingCapacity: true)
        }
        drive(flush: true)
    }

    public func channelInactive(context: ChannelHandlerContext) {
        machine.stop()
        machine.connectionClosed(now: clock.now())
        drive(flush: false)
        context.fireChannelInactive()
    }

    private func drive(flush: Bool) {
        while let action = machine.pollAction() {
            switch action {
            case .connect:
                break
            case .transmit(let bytes):
                guard let context else { continue }
                let frame = WebSocketFrame(
                    fin: true,
                    opcode: .binary,
                    maskKey: .random(),
                    data: ByteBuffer(bytes: bytes)
                )
                context.write(wrapOutboundOut(frame), promise: nil)
            case .disconnect:
                context?.close(promise: nil)
            }
        }
        if flush { context?.flush() }
        while let event = machine.pollEvent() {
            if acknowledgesOnDelivery, case .delivered(let envelope) = event { deliveredInBurst.append(envelope.id) }
            onEvent(event, self)
        }
    }
}
