import MeshCore

/// A DHT node as others describe it: its ID and where it answers.
///
/// The public key is deliberately not carried: a contact proves its key in its own signed messages, and we
/// check that `NodeID(publicKey:)` equals the ID we were told (S/Kademlia's ID binding). That also keeps a
/// 20-contact reply near 1 KB, as in BEP 5.
public struct Contact: Hashable, Sendable, CustomStringConvertible {
    public let id: NodeID
    public let address: TransportAddress

    public init(id: NodeID, address: TransportAddress) {
        self.id = id
        self.address = address
    }

    public var description: String { "\(id.hex.prefix(12))@\(address)" }
}

extension Contact: WireEncodable, WireDecodable {
    public func encode(to writer: inout WireWriter) {
        writer.write(raw: id.bytes)
        address.encode(to: &writer)
    }

    public init(from reader: inout WireReader) throws {
        let id = try NodeID(bytes: try reader.readBytes(NodeID.byteCount))
        self.init(id: id, address: try TransportAddress(from: &reader))
    }
}
