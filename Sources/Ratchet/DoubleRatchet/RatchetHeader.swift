import MeshCore

/// The Double Ratchet's per-message header: the sender's current ratchet public key, the length of its previous
/// sending chain (PN) and this message's number in the current chain (N).
///
/// Wire form, 40 bytes: `DH (32) ‖ PN (u32 BE) ‖ N (u32 BE)`. With header encryption these 40 bytes are sealed
/// under a header key; without, they travel in the clear (and are still authenticated as associated data).
public struct RatchetHeader: Hashable, Sendable {
    public static let byteCount = X25519.keyByteCount + 8

    public let ratchetKey: X25519.PublicKey
    public let previousChainLength: UInt32
    public let messageNumber: UInt32

    public init(ratchetKey: X25519.PublicKey, previousChainLength: UInt32, messageNumber: UInt32) {
        self.ratchetKey = ratchetKey
        self.previousChainLength = previousChainLength
        self.messageNumber = messageNumber
    }

    public var encoded: [UInt8] {
        var writer = WireWriter(capacity: RatchetHeader.byteCount)
        writer.write(raw: ratchetKey.rawRepresentation)
        writer.write(previousChainLength)
        writer.write(messageNumber)
        return writer.bytes
    }

    /// Exactly 40 bytes; anything else is `malformed`.
    public init(decoding bytes: [UInt8]) throws {
        guard bytes.count == RatchetHeader.byteCount else {
            throw RatchetError(.malformed, "a ratchet header is \(RatchetHeader.byteCount) bytes, not \(bytes.count)")
        }
        var reader = WireReader(bytes)
        ratchetKey = try X25519.PublicKey(rawRepresentation: reader.readBytes(X25519.keyByteCount))
        previousChainLength = try reader.readUInt32()
        messageNumber = try reader.readUInt32()
    }
}
