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

    /// How many distinct envelope IDs one message uses across its resends while its recipient may be offline: each
    /// is a copy a relay may keep for it until it comes back.
    public static let envelopeVariants = 5
    /// The bound when the recipient's own receipts show it is online and missing the message (a gap): the relay
    /// hands each copy on at once, so nothing piles up there, and a copy a relay lost in flight (it still answers
    /// `duplicate` for that ID until the recipient reconnects) must not stop the next resend.
    public static let gapEnvelopeVariants = 64

    /// The relay envelope ID of variant `variant` (0 to 255): the message's own bytes for 0, then a keyed hash of
    /// them and the variant. A resend must not reuse an ID a relay answered for: a relay that lost, corrupted or
    /// misdelivered that envelope still remembers its ID and would answer `duplicate`, so the resend would never
    /// arrive. The recipient recognises every copy by the frame's message ID.
    public func envelopeID(variant: Int) -> EnvelopeID {
        let variant = min(max(variant, 0), Int(UInt8.max))
        guard variant > 0 else { return envelopeID }
        let digest = BLAKE2b.hash(
            Array("meshpeer resend envelope v1".utf8) + bytes + [UInt8(variant)],
            outputByteCount: MessageID.byteCount
        )
        // Same length by construction.
        return try! EnvelopeID(bytes: digest)
    }

    public func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }
}
