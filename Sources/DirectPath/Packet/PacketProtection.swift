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

    /// One allocation for the datagram: header, then the plaintext, then room for the tag, sealed in place.
    func seal(channelID: UInt64, packetNumber: UInt64, plaintext: [UInt8]) throws -> [UInt8] {
        let sealedLength = 16 + plaintext.count + XChaCha20Poly1305.tagByteCount
        var datagram = [UInt8]()
        datagram.reserveCapacity(PacketProtection.headerByteCount + plaintext.count + XChaCha20Poly1305.tagByteCount)
        datagram.append(contentsOf: Frame.magic)
        datagram.append(Frame.currentVersion)
        PacketProtection.append(UInt64(PacketProtection.frameType), bytes: 2, to: &datagram)
        PacketProtection.append(UInt64(sealedLength), bytes: 4, to: &datagram)
        PacketProtection.append(channelID, bytes: 8, to: &datagram)
        PacketProtection.append(packetNumber, bytes: 8, to: &datagram)
        datagram.append(contentsOf: plaintext)
        datagram.append(contentsOf: repeatElement(0, count: XChaCha20Poly1305.tagByteCount))
        try XChaCha20Poly1305.sealInPlace(
            &datagram,
            additionalDataCount: PacketProtection.headerByteCount,
            key: sendKey,
            nonce: PacketProtection.nonce(packetNumber)
        )
        return datagram
    }

    private static func append(_ value: UInt64, bytes: Int, to buffer: inout [UInt8]) {
        for index in stride(from: bytes - 1, through: 0, by: -1) {
            buffer.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(index))))
        }
    }

    /// The channel ID and packet number of a datagram, read without decrypting (to route and to reject replays early)
    /// and without copying it.
    static func peek(_ datagram: [UInt8], maximumDatagram: Int) throws -> (channelID: UInt64, packetNumber: UInt64) {
        var reader = WireReader(datagram)
        let header = try FrameHeader(from: &reader, maximumPayload: maximumDatagram)
        guard header.type == frameType else {
            throw WireError(.unknownType, at: 3, "not a direct-path packet (type \(header.type))")
        }
        guard reader.remaining == header.payloadLength else {
            throw WireError(.truncated, at: Frame.headerByteCount, "datagram length does not match its header")
        }
        let channelID = try reader.readUInt64()
        let packetNumber = try reader.readUInt64()
        guard reader.remaining >= XChaCha20Poly1305.tagByteCount else {
            throw WireError(.truncated, at: headerByteCount, "packet shorter than its tag")
        }
        return (channelID, packetNumber)
    }

    /// The plaintext of a datagram `peek` accepted. One copy of the datagram, decrypted in place.
    func open(_ datagram: [UInt8], packetNumber: UInt64) throws -> [UInt8] {
        var buffer = datagram
        let plaintext = try XChaCha20Poly1305.openInPlace(
            &buffer,
            additionalDataCount: PacketProtection.headerByteCount,
            key: receiveKey,
            nonce: PacketProtection.nonce(packetNumber)
        )
        buffer.removeLast(buffer.count - plaintext.upperBound)
        buffer.removeFirst(plaintext.lowerBound)
        return buffer
    }

    private static func nonce(_ packetNumber: UInt64) -> [UInt8] {
        var nonce = [UInt8](repeating: 0, count: XChaCha20Poly1305.nonceByteCount)
        for index in 0..<8 {
            nonce[16 + index] = UInt8(truncatingIfNeeded: packetNumber >> (56 - 8 * UInt64(index)))
        }
        return nonce
    }
}
