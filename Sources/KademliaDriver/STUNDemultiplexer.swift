import NIOCore

// STUN and the DHT share one UDP port (the ICE module needs server-reflexive addresses of the very socket the
// DHT uses). `DatagramHandler` tells them apart with `STUNMessage.looksLikeSTUN` from the ICE module, the one
// sniffer in the tree: our frames start with "MP", whose first bits are 01, so the two never collide.

/// Lets a STUN handler answer on the socket the request arrived on.
public struct DatagramReplier: Sendable {
    let channel: any Channel

    public func send(_ bytes: [UInt8], to destination: SocketAddress) {
        let envelope = AddressedEnvelope(remoteAddress: destination, data: channel.allocator.buffer(bytes: bytes))
        channel.writeAndFlush(envelope, promise: nil)
    }

    /// The local address of the socket (the ICE module pairs it with what the STUN server saw).
    public var localAddress: SocketAddress? { channel.localAddress }
}

/// Receives every datagram that looks like STUN, with the sender and a way to reply on the same socket.
public typealias STUNHandler =
    @Sendable (_ datagram: [UInt8], _ source: SocketAddress, _ replier: DatagramReplier) ->
    Void
