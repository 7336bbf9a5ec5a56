import MeshCore

/// The frames inside a direct-path packet's encrypted payload (QUIC's shape, trimmed to what we need).
///
/// ```
/// 0x00 PADDING   (the rest of the payload is zeros)
/// 0x01 ACK       largest u64 | ack delay µs u32 | range count u8 (1...32) | ranges: start u64, end u64 (descending)
///                | receive window: max stream offset u64
/// 0x02 STREAM    offset u64 | length u16 | bytes
/// 0x03 PING      (ack-eliciting, nothing else)
/// 0x04 CLOSE     code u16 | reason (u8 length, UTF-8)
/// 0x05 PATH_CHALLENGE  token u64 (ack-eliciting; the peer echoes it)
/// 0x06 PATH_RESPONSE   token u64 (the echo; sent from wherever the peer now is)
/// ```
enum PacketFrame: Equatable, Sendable {
    case padding(Int)
    case ack(AckFrame)
    /// The data is a slice of the decrypted packet on receive (no copy until the stream reassembles it).
    case stream(offset: UInt64, data: ArraySlice<UInt8>)
    case ping
    case close(code: UInt16, reason: String)
    case pathChallenge(UInt64)
    case pathResponse(UInt64)

    static let maximumAckRanges = 32
    static let maximumStreamChunk = Int(UInt16.max)

    /// Frames that oblige the peer to acknowledge the packet.
    var isAckEliciting: Bool {
        switch self {
        case .padding, .ack, .pathResponse: false
        case .stream, .ping, .close, .pathChallenge: true
        }
    }

    func encode(to writer: inout WireWriter) {
        var bytes: [UInt8] = []
        encode(into: &bytes)
        writer.write(raw: bytes)
    }

    /// Appends the frame to a datagram under construction (the channel builds each datagram in one buffer).
    func encode(into bytes: inout [UInt8]) {
        switch self {
        case .padding(let count):
            bytes.append(contentsOf: repeatElement(0, count: count))
        case .ack(let ack):
            bytes.append(0x01)
            bytes.appendBigEndian(ack.largest)
            bytes.appendBigEndian(ack.delayMicroseconds)
            bytes.append(UInt8(ack.ranges.count))
            for range in ack.ranges {
                bytes.appendBigEndian(range.lowerBound)
                bytes.appendBigEndian(range.upperBound)
            }
            bytes.appendBigEndian(ack.maxStreamOffset)
        case .stream(let offset, let data):
            PacketFrame.appendStreamHeader(offset: offset, length: data.count, to: &bytes)
            bytes.append(contentsOf: data)
        case .ping:
            bytes.append(0x03)
        case .close(let code, let reason):
            bytes.append(0x04)
            bytes.appendBigEndian(code)
            let text = Array((String(reason.utf8.prefix(200)) ?? "").utf8)
            bytes.append(UInt8(text.count))
            bytes.append(contentsOf: text)
        case .pathChallenge(let token):
            bytes.append(0x05)
            bytes.appendBigEndian(token)
        case .pathResponse(let token):
            bytes.append(0x06)
            bytes.appendBigEndian(token)
        }
    }

    /// A STREAM frame's type, offset and length; the caller appends exactly `length` bytes of data after it.
    static func appendStreamHeader(offset: UInt64, length: Int, to bytes: inout [UInt8]) {
        precondition(length <= maximumStreamChunk, "a STREAM chunk is at most 65,535 bytes")
        bytes.append(0x02)
        bytes.appendBigEndian(offset)
        bytes.appendBigEndian(UInt16(length))
    }

    /// Bytes of a STREAM frame before its data.
    static let streamHeaderByteCount = 11

    /// Decodes every frame in a payload. Malformed payloads are errors; the packet is dropped whole.
    static func decodeAll(_ bytes: [UInt8]) throws -> [PacketFrame] {
        var reader = WireReader(bytes)
        return try decodeAll(from: &reader)
    }

    /// Decodes every frame from the reader's position to its end (the channel starts it past the packet header).
    static func decodeAll(from reader: inout WireReader) throws -> [PacketFrame] {
        var frames: [PacketFrame] = []
        while !reader.isAtEnd {
            let start = reader.position
            let type = try reader.readUInt8()
            switch type {
            case 0x00:
                let padding = reader.remaining + 1
                _ = try reader.readBytes(reader.remaining)
                frames.append(.padding(padding))
            case 0x01:
                frames.append(.ack(try AckFrame(from: &reader)))
            case 0x02:
                let offset = try reader.readUInt64()
                let data = try reader.readSlice(Int(try reader.readUInt16()))
                guard offset <= UInt64.max - UInt64(data.count) else {
                    throw WireError(.invalidValue, at: start, "stream offset overflows")
                }
                frames.append(.stream(offset: offset, data: data))
            case 0x03:
                frames.append(.ping)
            case 0x04:
                let code = try reader.readUInt16()
                frames.append(.close(code: code, reason: try reader.readString(.uint8, maximum: 255)))
            case 0x05:
                frames.append(.pathChallenge(try reader.readUInt64()))
            case 0x06:
                frames.append(.pathResponse(try reader.readUInt64()))
            default:
                throw WireError(.unknownType, at: start, "unknown direct-path frame type \(type)")
            }
            // A packet holds at most a handful of frames; a flood of tiny ones is hostile.
            guard frames.count <= 64 else { throw WireError(.oversize, at: start, "too many frames in one packet") }
        }
        return frames
    }
}

/// Acknowledged packet-number ranges, newest first, plus the receiver's flow-control limit.
struct AckFrame: Equatable, Sendable {
    var largest: UInt64
    var delayMicroseconds: UInt32
    var ranges: [Range<UInt64>]
    var maxStreamOffset: UInt64

    init(largest: UInt64, delayMicroseconds: UInt32, ranges: [Range<UInt64>], maxStreamOffset: UInt64) {
        self.largest = largest
        self.delayMicroseconds = delayMicroseconds
        self.ranges = ranges
        self.maxStreamOffset = maxStreamOffset
    }

    init(from reader: inout WireReader) throws {
        let start = reader.position
        largest = try reader.readUInt64()
        delayMicroseconds = try reader.readUInt32()
        let count = try reader.readCount(.uint8, maximum: PacketFrame.maximumAckRanges)
        guard count >= 1 else { throw WireError(.invalidValue, at: start, "an ACK needs at least one range") }
        ranges = []
        var previousLower = UInt64.max
        for _ in 0..<count {
            let lower = try reader.readUInt64()
            let upper = try reader.readUInt64()
            guard lower < upper, upper <= previousLower, upper <= largest &+ 1 else {
                throw WireError(.invalidValue, at: start, "ACK ranges must be non-empty, descending and below largest")
            }
            ranges.append(lower..<upper)
            previousLower = lower
        }
        maxStreamOffset = try reader.readUInt64()
    }
}

extension [UInt8] {
    /// Network byte order, as WireWriter writes integers.
    mutating func appendBigEndian<T: FixedWidthInteger & UnsignedInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
    }
}
