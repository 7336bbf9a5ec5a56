import ICE
import MeshCore

/// An application (non-STUN) datagram that arrived on the selected pair's socket, with its source: a NAT that
/// rebinds the peer changes the source, and only the consumer, after authenticating the datagram, may follow it.
public struct IncomingDatagram: Sendable, Equatable {
    public var bytes: [UInt8]
    public var from: TransportAddress

    public init(bytes: [UInt8], from: TransportAddress) {
        self.bytes = bytes
        self.from = from
    }
}
