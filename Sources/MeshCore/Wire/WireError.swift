/// Why a frame or field could not be decoded. Decoders throw these; they never trap.
public struct WireError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// The input ended before a field did.
        case truncated
        /// A length, count or value exceeds the limit the decoder was given.
        case oversize
        /// A frame's version byte is not one this build understands.
        case unsupportedVersion = "unsupported-version"
        /// A frame type is unknown to the receiving module.
        case unknownType = "unknown-type"
        /// Bytes were left over after a complete structure.
        case trailingBytes = "trailing-bytes"
        /// A field holds a value outside its domain (bad enum tag, invalid UTF-8, bad key).
        case invalidValue = "invalid-value"
        /// The frame does not begin with the expected magic bytes.
        case badMagic = "bad-magic"
    }

    public let code: Code
    /// Byte offset in the input where the problem was found.
    public let offset: Int
    public let reason: String

    public init(_ code: Code, at offset: Int, _ reason: String) {
        self.code = code
        self.offset = offset
        self.reason = reason
    }

    public var description: String { "\(code.rawValue) at byte \(offset): \(reason)" }
}
