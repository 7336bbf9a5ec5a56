/// A 256-bit identifier in the DHT's key space.
///
/// An agent's node ID is `SHA-256("meshpeer/v1/node-id" ‖ Ed25519 public key)`: bound to the key, so nobody can
/// choose where in the key space they sit without also holding a matching key (S/Kademlia's first defence).
public struct NodeID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public static let byteCount = 32
    static let derivationLabel = Array("meshpeer/v1/node-id".utf8)

    public let bytes: [UInt8]

    public init(bytes: [UInt8]) throws {
        guard bytes.count == NodeID.byteCount else {
            throw CryptoError(.invalidKeyLength, "a node ID is 32 bytes, not \(bytes.count)")
        }
        self.bytes = bytes
    }

    init(uncheckedBytes: [UInt8]) {
        bytes = uncheckedBytes
    }

    /// One call over all the bytes. The synthesized version feeds the array element by element, and the relay's
    /// and the DHT's dictionaries keyed by node IDs spent a tenth of their time there.
    public func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    public init(publicKey: Ed25519.PublicKey) {
        self.init(uncheckedBytes: SHA256.hash(NodeID.derivationLabel + publicKey.rawRepresentation))
    }

    /// A key-space position for arbitrary content (capability names, record keys), under its own label.
    public static func hashing(_ content: [UInt8], label: String) -> NodeID {
        NodeID(uncheckedBytes: SHA256.hash(Array(label.utf8) + [0] + content))
    }

    public static func < (lhs: NodeID, rhs: NodeID) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }

    public var hex: String { Hex.encode(bytes) }
    public var description: String { hex }
}
