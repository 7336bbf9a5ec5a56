/// The decoders of the direct path, exposed for the fuzz harness (Fuzz/Sources/FuzzDirectPacket) and for tools
/// that inspect captures. Both never trap: every input either decodes or throws a `WireError`.
public enum DirectPacketCodec {
    /// The number of frames in a decrypted packet payload.
    public static func frameCount(inPayload payload: [UInt8]) throws -> Int {
        try PacketFrame.decodeAll(payload).count
    }

    /// The channel ID and packet number of a datagram, without decrypting it.
    public static func peekHeader(_ datagram: [UInt8]) throws -> (channelID: UInt64, packetNumber: UInt64) {
        try PacketProtection.peek(datagram, maximumDatagram: DirectChannel.maximumDatagram)
    }
}
