/// Builds frames in network byte order. The mirror of `WireReader`.
///
/// Writing a field longer than its prefix can express is a programming error on our side (we only ever
/// encode values we built), so it traps rather than silently truncating.
public struct WireWriter: Sendable {
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public mutating func write(_ value: UInt8) { bytes.append(value) }
    public mutating func write(_ value: UInt16) { writeInteger(value) }
    public mutating func write(_ value: UInt32) { writeInteger(value) }
    public mutating func write(_ value: UInt64) { writeInteger(value) }
    public mutating func write(_ value: Int64) { writeInteger(UInt64(bitPattern: value)) }
    public mutating func write(_ value: Bool) { bytes.append(value ? 1 : 0) }

    public mutating func write<C: Collection>(raw: C) where C.Element == UInt8 {
        bytes.append(contentsOf: raw)
    }

    public mutating func writeLengthPrefixed<C: Collection>(_ payload: C, _ width: LengthWidth)
    where C.Element == UInt8 {
        writeCount(payload.count, width)
        bytes.append(contentsOf: payload)
    }

    public mutating func writeString(_ text: String, _ width: LengthWidth) {
        writeLengthPrefixed(Array(text.utf8), width)
    }

    public mutating func writeCount(_ count: Int, _ width: LengthWidth) {
        precondition(count >= 0 && count <= width.maximumValue, "length \(count) does not fit its prefix")
        switch width {
        case .uint8: write(UInt8(count))
        case .uint16: write(UInt16(count))
        case .uint32: write(UInt32(count))
        }
    }

    private mutating func writeInteger<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }
}

/// A value with a wire form.
public protocol WireEncodable {
    func encode(to writer: inout WireWriter)
}

/// A value decodable from untrusted bytes.
public protocol WireDecodable {
    init(from reader: inout WireReader) throws
}

extension WireEncodable {
    public var wireBytes: [UInt8] {
        var writer = WireWriter()
        encode(to: &writer)
        return writer.bytes
    }
}

extension WireDecodable {
    /// Decodes a whole buffer; trailing bytes are an error.
    public init(wireBytes: [UInt8]) throws {
        var reader = WireReader(wireBytes)
        try self.init(from: &reader)
        try reader.expectEnd()
    }
}
