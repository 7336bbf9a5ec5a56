import Kademlia
import KademliaDriver
import MeshCore
import NIOCore
import NIOPosix

/// A real UDP DHT node on loopback that lies about its own agent record: it answers pings and `findNode` like
/// any node, and `findValue` for its record key with whatever `serve` holds at the time: a genuine record, a stale
/// one (lower sequence), a replay (same sequence, other bytes) or a forgery (bytes changed after signing).
final class LyingDHTNode: Sendable {
    let key: Ed25519.PrivateKey
    let channel: any Channel
    /// The record envelopes it cycles through, one per `findValue`.
    let serve: LockedValue<[RecordEnvelope]>

    init(key: Ed25519.PrivateKey, group: any EventLoopGroup) async throws {
        self.key = key
        let serve = LockedValue<[RecordEnvelope]>([])
        self.serve = serve
        channel = try await DatagramBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Handler(key: key, serve: serve))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    var address: String { "127.0.0.1:\(channel.localAddress?.port ?? 0)" }

    /// Introduces itself to `seed` with a ping, so the seed verifies it and lists it in its table.
    func join(_ seed: TransportAddress) async throws {
        let ping = SignedMessage.signed(.ping, transactionID: 1, by: key, now: SystemClock().now())
        let envelope = AddressedEnvelope(
            remoteAddress: seed.socketAddress,
            data: channel.allocator.buffer(bytes: ping.datagram())
        )
        try await channel.writeAndFlush(envelope).get()
    }

    func close() async { try? await channel.close() }

    final class Handler: ChannelInboundHandler, Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        typealias OutboundOut = AddressedEnvelope<ByteBuffer>
        let key: Ed25519.PrivateKey
        let serve: LockedValue<[RecordEnvelope]>
        let turn = LockedValue(0)

        init(key: Ed25519.PrivateKey, serve: LockedValue<[RecordEnvelope]>) {
            self.key = key
            self.serve = serve
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let envelope = unwrapInboundIn(data)
            let bytes = Array(envelope.data.readableBytesView)
            guard let request = try? SignedMessage.decode(datagram: bytes, maximumSize: 4_096),
                request.message.isRequest, let source = TransportAddress(envelope.remoteAddress)
            else { return }
            let reply: KademliaMessage
            switch request.message {
            case .ping:
                reply = .pong(observed: source)
            case .findNode:
                reply = .nodes(contacts: [], token: [])
            case .findValue:
                let list = serve.withLock { $0 }
                let index = turn.withLock { value in
                    defer { value += 1 }
                    return value
                }
                reply = .value(record: list.isEmpty ? nil : list[index % list.count], contacts: [], token: [])
            default:
                return
            }
            let signed = SignedMessage.signed(
                reply,
                transactionID: request.transactionID,
                by: key,
                now: SystemClock().now()
            )
            let out = AddressedEnvelope(
                remoteAddress: envelope.remoteAddress,
                data: context.channel.allocator.buffer(bytes: signed.datagram())
            )
            context.writeAndFlush(NIOAny(out), promise: nil)
        }
    }
}
