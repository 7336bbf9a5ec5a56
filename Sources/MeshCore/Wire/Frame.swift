/// The envelope every MeshPeer binary message travels in.
///
/// ```
/// byte   0      1      2      3      4      5      6      7      8      9
///        +------+------+------+------+------+------+------+------+------+------ ... ------+
///        | 'M'  | 'P'  | ver  | type (u16 BE) | payload length (u32 BE)   | payload         |
///        +------+------+------+------+------+------+------+------+------+------ ... ------+
/// ```
/// The magic lets a shared UDP port tell MeshPeer frames from STUN (whose first two bits are zero and whose
/// bytes 4-7 are the magic cookie) at a glance. See docs/protocol.md for the registry of types.
public struct Frame: Hashable, Sendable {
    public static let magic: [UInt8] = [0x4D, 0x50]  // "MP"
    public static let currentVersion: UInt8 = 1
    public static let headerByteCount = 9
    /// The hard ceiling on any payload: one message is at most 1 MiB plus framing overhead.
    public static let absoluteMaximumPayload = 1_048_576 + 4_096

    public var version: UInt8
    public var type: UInt16
    public var payload: [UInt8]

    public init(type: UInt16, payload: [UInt8], version: UInt8 = Frame.currentVersion) {
        self.version = version
        self.type = type
        self.payload = payload
    }

    public func encoded() -> [UInt8] {
        precondition(payload.count <= Frame.absoluteMaximumPayload, "frame payload too large to send")
        var writer = WireWriter(capacity: Frame.headerByteCount + payload.count)
        writer.write(raw: Frame.magic)
        writer.write(version)
        writer.write(type)
        writer.write(UInt32(payload.count))
        writer.write(raw: payload)
        return writer.bytes
    }

    /// Decodes exactly one frame that fills `bytes`.
    ///
    /// - Parameters:
    ///   - maximumPayload: the caller's own limit, e.g. 1,400 bytes for a DHT datagram. Clamped to the absolute one.
    ///   - supportedVersions: versions this receiver understands; anything else is `unsupportedVersion`.
    public static func decode(
        _ bytes: [UInt8],
        maximumPayload: Int,
        supportedVersions: ClosedRange<UInt8> = 1...1
    ) throws -> Frame {
        var reader = WireReader(bytes)
        let header = try FrameHeader(
            from: &reader,
            maximumPayload: maximumPayload,
            supportedVersions: supportedVersions
        )
        let payload = try reader.readBytes(header.payloadLength)
        try reader.expectEnd()
        return Frame(type: header.type, payload: payload, version: header.version)
    }
}

/// A frame header on its own, for stream transports that read the header first to learn how much to wait for.
public struct FrameHeader: Hashable, Sendable {
    public var version: UInt8
    public var type: UInt16
    public var payloadLength: Int

    public init(
        from reader: inout WireReader,
        maximumPayload: Int,
        supportedVersions: ClosedRange<UInt8> = 1...1
    ) throws {
        let start = reader.position
        guard try reader.readBytes(2) == Frame.magic else {
            throw WireError(.badMagic, at: start, "not a MeshPeer frame")
        }
        version = try reader.readUInt8()
        guard supportedVersions.contains(version) else {
            throw WireError(.unsupportedVersion, at: start + 2, "frame version \(version) is not supported")
        }
        type = try reader.readUInt16()
        let length = Int(try reader.readUInt32())
        let limit = min(max(maximumPayload, 0), Frame.absoluteMaximumPayload)
        guard length <= limit else {
            throw WireError(.oversize, at: start + 5, "payload of \(length) bytes exceeds the limit of \(limit)")
        }
        payloadLength = length
    }
}
