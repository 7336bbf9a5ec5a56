import ICE
import MeshCore
import NIOCore
import NIOPosix

/// One bound UDP socket. Received datagrams go to `onDatagram` on the channel's event loop; nothing else happens
/// here (design rule 2: adapters only translate).
public final class UDPSocket: Sendable {
    public typealias Handler = @Sendable (_ bytes: [UInt8], _ from: TransportAddress, _ to: TransportAddress) -> Void
    /// Called on the channel's event loop when a read burst ends (after one or more `Handler` calls).
    public typealias ReadComplete = @Sendable () -> Void

    public let channel: Channel
    /// The bound address (the port resolved when 0 was asked).
    public let localAddress: TransportAddress

    /// Largest datagram read; anything longer is truncated by the kernel and then rejected by the decoders.
    static let maximumDatagram = 2_048
    /// Datagrams read per system call (recvmmsg): the direct path receives bursts of up to ten paced packets, which
    /// then cost one call instead of one each (sends are already batched by `send(batch:)`). NIO splits the receive
    /// buffer into this many slots of `maximumDatagram` bytes.
    static let vectorReadCount = 16

    /// SO_REUSEADDR stays off unless asked for: UDP has no TIME_WAIT for it to help with, and with it on, Linux may
    /// hand a port-0 bind an ephemeral port another such socket already holds (52 duplicates in 2,000 binds here),
    /// or let a second process bind an explicit port already in use; either way two sockets silently share traffic.
    public static func bind(
        _ address: TransportAddress,
        group: EventLoopGroup,
        reuseAddress: Bool = false,
        onReadComplete: ReadComplete? = nil,
        onDatagram: @escaping Handler
    ) async throws -> UDPSocket {
        let box = LockedValue<TransportAddress?>(nil)
        let channel = try await DatagramBootstrap(group: group)
            .channelOption(.socketOption(.so_reuseaddr), value: reuseAddress ? 1 : 0)
            // A direct channel's burst (up to 64 KiB at once, more while the reader is busy) must not overflow the
            // kernel's default ~208 KiB receive queue: those drops looked like congestion on loopback. The kernel
            // caps the request at net.core.rmem_max.
            .channelOption(.socketOption(.so_rcvbuf), value: 4 * 1_048_576)
            // recvmmsg: up to 16 datagrams per read, and NIO's 4 reads per burst, so a burst of up to 64 datagrams
            // is handed on as one batch (`onReadComplete`).
            .channelOption(.datagramVectorReadMessageCount, value: vectorReadCount)
            .channelOption(
                .recvAllocator,
                value: FixedSizeRecvByteBufferAllocator(capacity: maximumDatagram * vectorReadCount)
            )
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        Inbound(local: box, onDatagram: onDatagram, onReadComplete: onReadComplete)
                    )
                }
            }
            .bind(to: address.socketAddress)
            .get()
        guard let bound = channel.localAddress.flatMap(TransportAddress.init) else {
            try? await channel.close()
            throw ICEDriverError(code: .bindFailed, reason: "could not read the bound address of \(address)")
        }
        box.withLock { $0 = bound }
        return UDPSocket(channel: channel, localAddress: bound)
    }

    init(channel: Channel, localAddress: TransportAddress) {
        self.channel = channel
        self.localAddress = localAddress
    }

    /// Fire and forget: UDP has no delivery guarantee anyway; send errors (unreachable) are ignored.
    public func send(_ bytes: [UInt8], to: TransportAddress) {
        let destination = to.socketAddress
        let buffer = channel.allocator.buffer(bytes: bytes)
        channel.writeAndFlush(AddressedEnvelope(remoteAddress: destination, data: buffer), promise: nil)
    }

    /// Several datagrams to one destination, written together and flushed once (one vector write).
    public func send(batch: [[UInt8]], to: TransportAddress) {
        let destination = to.socketAddress
        for bytes in batch {
            let envelope = AddressedEnvelope(remoteAddress: destination, data: channel.allocator.buffer(bytes: bytes))
            channel.write(envelope, promise: nil)
        }
        channel.flush()
    }

    public func close() async {
        try? await channel.close()
    }

    private final class Inbound: ChannelInboundHandler, Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let local: LockedValue<TransportAddress?>
        let onDatagram: Handler
        let onReadComplete: ReadComplete?

        init(local: LockedValue<TransportAddress?>, onDatagram: @escaping Handler, onReadComplete: ReadComplete?) {
            self.local = local
            self.onDatagram = onDatagram
            self.onReadComplete = onReadComplete
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let envelope = unwrapInboundIn(data)
            guard let from = TransportAddress(envelope.remoteAddress), let to = local.withLock({ $0 }) else { return }
            onDatagram(Array(envelope.data.readableBytesView), from, to)
        }

        func channelReadComplete(context: ChannelHandlerContext) {
            onReadComplete?()
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) {
            // ICMP errors (port unreachable) surface here on Linux; they change nothing for ICE.
        }
    }
}

/// Errors that cross the driver's boundary (design rule 8).
public struct ICEDriverError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case bindFailed = "bind-failed"
        case noAddresses = "no-addresses"
        case portMappingFailed = "port-mapping-failed"
        case timeout
        /// The session was closed while the operation was under way.
        case closed
    }

    public let code: Code
    public let reason: String

    public init(code: Code, reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "\(code.rawValue): \(reason)" }
}
