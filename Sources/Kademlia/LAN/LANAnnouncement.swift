import MeshCore

/// What a node multicasts on its LAN so that neighbours ping it: `Frame(type: 0x0301, payload: DHT port (u16) ‖
/// node ID (32))`, the same bytes on IPv4 and IPv6 (decisions 0029 and 0108).
///
/// It is not signed: it only prompts a ping, and the signed reply to that ping is what lets the node into a routing
/// table. The receiver takes the address from the datagram's source and only the port from the payload.
public struct LANAnnouncement: Hashable, Sendable {
    public static let frameType: UInt16 = 0x0301
    public static let payloadByteCount = 2 + NodeID.byteCount
    /// A whole announcement datagram: the frame header and the payload, nothing more.
    public static let datagramByteCount = Frame.headerByteCount + payloadByteCount

    public var dhtPort: UInt16
    public var nodeID: NodeID

    public init(dhtPort: UInt16, nodeID: NodeID) {
        self.dhtPort = dhtPort
        self.nodeID = nodeID
    }

    public func datagram() -> [UInt8] {
        var writer = WireWriter(capacity: Self.payloadByteCount)
        writer.write(dhtPort)
        writer.write(raw: nodeID.bytes)
        return Frame(type: Self.frameType, payload: writer.bytes).encoded()
    }

    /// Decodes exactly one announcement filling `datagram`; anything else (another frame type, a short or long
    /// payload, trailing bytes, an unknown version) throws. Never traps (fuzzed by `FuzzLANAnnouncement`).
    public init(datagram: [UInt8]) throws {
        let frame = try Frame.decode(datagram, maximumPayload: Self.payloadByteCount)
        guard frame.type == Self.frameType else {
            throw WireError(.unknownType, at: 3, "frame type \(frame.type) is not a LAN announcement")
        }
        var reader = WireReader(frame.payload)
        dhtPort = try reader.readUInt16()
        nodeID = try NodeID(bytes: reader.readBytes(NodeID.byteCount))
        try reader.expectEnd()
    }
}
