import MeshCore

/// Seals and opens direct-path packets.
///
/// ```
/// frame header (9 bytes, type 0x0401) | receiver's channel ID (8) | packet number u64 | ciphertext ‖ tag (16)
/// ```
/// The AEAD is the channel's `ChannelCipher` (XChaCha20-Poly1305, or AES-256-GCM where both ends have AES-NI),
/// keyed per direction; the nonce is zero bytes followed by the packet number, which never repeats within a
/// direction, and the additional data is everything before the ciphertext, so a forged header fails like a forged
/// payload. Both ciphers have a 16-byte tag, so the layout is the same.
struct PacketProtection: Sendable {
    static let frameType: UInt16 = 0x0401
    static let headerByteCount = Frame.headerByteCount + 8 + 8
    /// Both ciphers' tags are 16 bytes (`ChannelCipher`), so one layout serves both.
    static let tagByteCount = 16
    static let overhead = headerByteCount + PacketProtection.tagByteCount

    let keys: PacketKeys
    /// Nonce buffers reused for every packet (rewritten in place, so no packet allocates one). Not secret.
    /// XChaCha20-Poly1305: 16 zero bytes ‖ packet number; AES-256-GCM: 4 zero bytes ‖ packet number.
    private var sendNonce: [UInt8]
    private var receiveNonce: [UInt8]
    /// Where the packet number goes in the nonce.
    private let nonceOffset: Int

    init(keys: PacketKeys) {
        self.keys = keys
        let count: Int
        switch keys {
        case .xchacha20Poly1305: count = XChaCha20Poly1305.nonceByteCount
        case .aes256GCM: count = AES256GCM.nonceByteCount
        }
        sendNonce = [UInt8](repeating: 0, count: count)
        receiveNonce = sendNonce
        nonceOffset = count - 8
    }

    /// A datagram under construction: room for the header, then the caller appends frames; `seal` finishes it.
    /// One allocation per datagram, sized for the frames and the tag.
    static func startDatagram(maximumSize: Int) -> [UInt8] {
        var datagram = [UInt8]()
        datagram.reserveCapacity(maximumSize)
        datagram.append(contentsOf: repeatElement(0, count: headerByteCount))
        return datagram
    }

    /// Writes the header of a datagram from `startDatagram`, appends room for the tag and seals the frames in place.
    mutating func seal(_ datagram: inout [UInt8], channelID: UInt64, packetNumber: UInt64) throws {
        precondition(datagram.count >= PacketProtection.headerByteCount, "not a datagram from startDatagram")
        let sealedLength = 16 + datagram.count - PacketProtection.headerByteCount + PacketProtection.tagByteCount
        datagram.append(contentsOf: repeatElement(0, count: PacketProtection.tagByteCount))
        datagram[0] = Frame.magic[0]
        datagram[1] = Frame.magic[1]
        datagram[2] = Frame.currentVersion
        PacketProtection.store(UInt64(PacketProtection.frameType), bytes: 2, at: 3, in: &datagram)
        PacketProtection.store(UInt64(sealedLength), bytes: 4, at: 5, in: &datagram)
        PacketProtection.store(channelID, bytes: 8, at: 9, in: &datagram)
        PacketProtection.store(packetNumber, bytes: 8, at: 17, in: &datagram)
        PacketProtection.store(packetNumber, bytes: 8, at: nonceOffset, in: &sendNonce)
        switch keys {
        case .xchacha20Poly1305(let key, _):
            try XChaCha20Poly1305.sealInPlace(
                &datagram,
                additionalDataCount: PacketProtection.headerByteCount,
                key: key,
                nonce: sendNonce
            )
        case .aes256GCM(let key, _):
            AES256GCM.sealInPlace(
                &datagram,
                additionalDataCount: PacketProtection.headerByteCount,
                key: key,
                nonce: sendNonce
            )
        }
    }

    /// Big-endian `value` in `bytes` bytes at `index` (the nonce's last 8 bytes are the packet number).
    private static func store(_ value: UInt64, bytes: Int, at index: Int, in buffer: inout [UInt8]) {
        for byte in 0..<bytes {
            buffer[index + byte] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(bytes - 1 - byte)))
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
        guard reader.remaining >= PacketProtection.tagByteCount else {
            throw WireError(.truncated, at: headerByteCount, "packet shorter than its tag")
        }
        return (channelID, packetNumber)
    }

    /// The frames of a datagram `peek` accepted, decrypted in place (copied first only if the caller still shares
    /// it), and a reader over the plaintext (past the header, up to the tag), so STREAM data can be sliced out of it
    /// without another copy.
    mutating func open(_ datagram: consuming [UInt8], packetNumber: UInt64) throws -> WireReader {
        PacketProtection.store(packetNumber, bytes: 8, at: nonceOffset, in: &receiveNonce)
        let plaintext: Range<Int>
        switch keys {
        case .xchacha20Poly1305(_, let key):
            plaintext = try XChaCha20Poly1305.openInPlace(
                &datagram,
                additionalDataCount: PacketProtection.headerByteCount,
                key: key,
                nonce: receiveNonce
            )
        case .aes256GCM(_, let key):
            plaintext = try AES256GCM.openInPlace(
                &datagram,
                additionalDataCount: PacketProtection.headerByteCount,
                key: key,
                nonce: receiveNonce
            )
        }
        datagram.removeLast(datagram.count - plaintext.upperBound)
        var reader = WireReader(datagram)
        _ = try reader.readSlice(plaintext.lowerBound)
        return reader
    }
}
