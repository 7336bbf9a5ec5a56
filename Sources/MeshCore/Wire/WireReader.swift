/// A bounds-checked cursor over received bytes.
///
/// Every read checks the remaining length first and throws `WireError` instead of trapping; every
/// variable-length read takes an explicit maximum, so no field from the network can ask for more memory than
/// the caller allowed. Integers are big-endian (network order).
public struct WireReader: Sendable {
    public let bytes: [UInt8]
    public private(set) var position: Int

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
        self.position = 0
    }

    public var remaining: Int { bytes.count - position }
    public var isAtEnd: Bool { position >= bytes.count }

    public mutating func readUInt8() throws -> UInt8 {
        try need(1, "UInt8")
        defer { position += 1 }
        return bytes[position]
    }

    public mutating func readUInt16() throws -> UInt16 { try readInteger(UInt16.self) }
    public mutating func readUInt32() throws -> UInt32 { try readInteger(UInt32.self) }
    public mutating func readUInt64() throws -> UInt64 { try readInteger(UInt64.self) }

    public mutating func readInt64() throws -> Int64 { Int64(bitPattern: try readUInt64()) }

    public mutating func readBool() throws -> Bool {
        let start = position
        switch try readUInt8() {
        case 0: return false
        case 1: return true
        case let other: throw WireError(.invalidValue, at: start, "boolean byte \(other)")
        }
    }

    /// Exactly `count` bytes.
    public mutating func readBytes(_ count: Int) throws -> [UInt8] {
        guard count >= 0 else { throw WireError(.invalidValue, at: position, "negative length") }
        try need(count, "\(count) bytes")
        defer { position += count }
        return Array(bytes[position..<position + count])
    }

    /// Exactly `count` bytes as a slice of `bytes` (its indices are positions in `bytes`): no copy, for decoders on
    /// a hot path that hand the bytes straight on.
    public mutating func readSlice(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count >= 0 else { throw WireError(.invalidValue, at: position, "negative length") }
        try need(count, "\(count) bytes")
        defer { position += count }
        return bytes[position..<position + count]
    }

    /// A `UInt8`, `UInt16` or `UInt32` length followed by that many bytes, at most `maximum`.
    public mutating func readLengthPrefixed(_ width: LengthWidth, maximum: Int) throws -> [UInt8] {
        let start = position
        let length: Int
        switch width {
        case .uint8: length = Int(try readUInt8())
        case .uint16: length = Int(try readUInt16())
        case .uint32: length = Int(try readUInt32())
        }
        guard length <= maximum else {
            throw WireError(.oversize, at: start, "length \(length) exceeds the limit of \(maximum)")
        }
        return try readBytes(length)
    }

    /// Length-prefixed UTF-8 text; invalid UTF-8 is an error, not a replacement character.
    public mutating func readString(_ width: LengthWidth, maximum: Int) throws -> String {
        let start = position
        let raw = try readLengthPrefixed(width, maximum: maximum)
        guard let text = String(validating: raw, as: UTF8.self) else {
            throw WireError(.invalidValue, at: start, "string is not valid UTF-8")
        }
        return text
    }

    /// A count prefix for a list, checked against `maximum` before anything is allocated.
    public mutating func readCount(_ width: LengthWidth, maximum: Int) throws -> Int {
        let start = position
        let count: Int
        switch width {
        case .uint8: count = Int(try readUInt8())
        case .uint16: count = Int(try readUInt16())
        case .uint32: count = Int(try readUInt32())
        }
        guard count <= maximum else {
            throw WireError(.oversize, at: start, "count \(count) exceeds the limit of \(maximum)")
        }
        return count
    }

    /// Everything that is left.
    public mutating func readRemaining(maximum: Int) throws -> [UInt8] {
        guard remaining <= maximum else {
            throw WireError(.oversize, at: position, "\(remaining) bytes exceed the limit of \(maximum)")
        }
        return try readBytes(remaining)
    }

    /// Structures end exactly where their bytes do: anything left over is an error.
    public func expectEnd() throws {
        guard isAtEnd else {
            throw WireError(.trailingBytes, at: position, "\(remaining) unexpected bytes after the end")
        }
    }

    private mutating func readInteger<T: FixedWidthInteger>(_: T.Type) throws -> T {
        let size = MemoryLayout<T>.size
        try need(size, "\(T.self)")
        var value: T = 0
        for index in position..<position + size {
            value = value << 8 | T(bytes[index])
        }
        position += size
        return value
    }

    /// `what` is only built when the read fails: interpolating it on every read showed up in profiles.
    private func need(_ count: Int, _ what: @autoclosure () -> String) throws {
        guard count <= remaining else {
            throw WireError(.truncated, at: position, "needed \(what()), only \(remaining) bytes left")
        }
    }
}

/// The width of a length or count prefix.
public enum LengthWidth: Sendable {
    case uint8
    case uint16
    case uint32

    public var maximumValue: Int {
        switch self {
        case .uint8: Int(UInt8.max)
        case .uint16: Int(UInt16.max)
        case .uint32: Int(UInt32.max)
        }
    }
}
