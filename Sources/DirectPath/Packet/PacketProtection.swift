import MeshCore

/// Seals and opens direct-path packets.
///
/// ```
/// frame header (9 bytes, type 0x0401) | receiver's channel ID (8) | packet number u64 | ciphertext ‖ tag (16)
/// ```
/// The AEAD is XChaCha20-Poly1305 keyed per direction; the nonce is 16 zero bytes followed by the packet number,
/// which never repeats within a direction, and the additional data is everything before the ciphertext, so a
/// forged header fails like a forged payload.
struct PacketProtection: Sendable {
    static let frameType: UInt16 = 0x0401
    static let headerByteCount = Frame.headerByteCount + 8 + 8
    static let overhead = headerByteCount + XChaCha20Poly1305.tagByteCount

    let sendKey: SecureBytes
    let receiveKey: SecureBytes

    func seal(channelID: UInt64, packetNumber: UInt64, plaintext: [UInt8]) throws -> [UInt8] {
        var payloadHeader = WireWriter(capacity: 16)
        payloadHeader.write(channelID)
        payloadHeader.write(packetNumber)
        let sealedLength = 16 + plaintext.count + XChaCha20Poly1305.tagByteCount
        var header = WireWriter(capacity: PacketProtection.headerByteCount)
        header.write(raw: Frame.magic)
        header.write(Frame.currentVersion)
        header.write(PacketProtection.frameType)
        header.write(UInt32(sealedLength))
        header.write(raw: payloadHeader.bytes)
        let ciphertext = try XChaCha20Poly1305.seal(
            plaintext,
            key: sendKey,
            nonce: PacketProtection.nonce(packetNumber),
            authenticating: header.bytes
        )
        return header.bytes + ciphertext
    }

    /// The channel ID and packet number of a datagram, read without decrypting (to route and to reject replays early).
    static func peek(_ datagram: [UInt8], maximumDatagram: Int) throws -> (channelID: UInt64, packetNumber: UInt64) {
        let frame = try Frame.decode(datagram, maximumPayload: maximumDatagram)
        guard frame.type == frameType else {
            throw WireError(.unknownType, at: 3, "not a direct-path packet (type \(frame.type))")
        }
        var reader = WireReader(frame.payload)
        let channelID = try reader.readUInt64()
        let packetNumber = try reader.readUInt64()
        guard reader.remaining >= XChaCha20Poly1305.tagByteCount else {
            throw WireError(.truncated, at: headerByteCount, "packet shorter than its tag")
        }
        return (channelID, packetNumber)
    }

    func open(_ datagram: [UInt8], packetNumber: UInt64) throws -> [UInt8] {
        let header = Array(datagram.prefix(PacketProtection.headerByteCount))
        let ciphertext = Array(datagram.dropFirst(PacketProtection.headerByteCount))
        return try XChaCha20Poly1305.open(
            ciphertext,
            key: receiveKey,
            nonce: PacketProtection.nonce(packetNumber),
            authenticating: header
        )
    }

    private static func nonce(_ packetNumber: UInt64) -> [UInt8] {
        var nonce = [UInt8](repeating: 0, count: XChaCha20Poly1305.nonceByteCount)
        for index in 0..<8 {
            nonce[16 + index] = UInt8(truncatingIfNeeded: packetNumber >> (56 - 8 * UInt64(index)))
        }
        return nonce
    }
}
