import MeshCore
import RelayFallback

/// The end-to-end identity of one message (or knock): 16 random bytes chosen by the sender.
///
/// The receiver deduplicates by it durably, receipts name it, and the relay envelope that carries a message uses
/// the same 16 bytes as its `EnvelopeID`, so a resend through any relay is deduplicated there too.
public struct MessageID: Hashable, Sendable, CustomStringConvertible {
    public static let byteCount = 16
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) throws {
        guard bytes.count == MessageID.byteCount else {
            throw WireError(.invalidValue, at: 0, "a message ID is 16 bytes, not \(bytes.count)")
        }
        self.bytes = bytes
    }

    init(unchecked bytes: [UInt8]) {
        self.bytes = bytes
    }

    init(from reader: inout WireReader) throws {
        bytes = try reader.readBytes(MessageID.byteCount)
    }

    public static func random<R: RandomSource>(using random: inout R) -> MessageID {
        MessageID(unchecked: random.bytes(count: byteCount))
    }

    /// 32 hex digits (either case); anything else is nil.
    public init?(hex: String) {
        guard hex.utf8.count == 2 * MessageID.byteCount, let bytes = Hex.decode(hex) else { return nil }
        self.bytes = bytes
    }

    /// 32 lowercase hex digits.
    public var hex: String { Hex.encode(bytes) }
    public var description: String { hex }

    /// The relay envelope ID that carries this message: the same 16 bytes.
    public var envelopeID: EnvelopeID {
        // Same length by construction.
        try! EnvelopeID(bytes: bytes)
    }

    public func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }
}
