import MeshCore

/// The recipient's current knock token: 8 random bytes published in its DHT record. A knock must carry the current
/// (or the previous) token, so the owner can rotate it to cut off a flood without changing identity (Tox's nospam).
public struct KnockToken: Hashable, Sendable, CustomStringConvertible {
    public static let byteCount = 8
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) throws {
        guard bytes.count == KnockToken.byteCount else {
            throw WireError(.invalidValue, at: 0, "a knock token is 8 bytes, not \(bytes.count)")
        }
        self.bytes = bytes
    }

    init(from reader: inout WireReader) throws {
        bytes = try reader.readBytes(KnockToken.byteCount)
    }

    public static func random<R: RandomSource>(using random: inout R) -> KnockToken {
        // The length is right by construction.
        try! KnockToken(bytes: random.bytes(count: byteCount))
    }

    /// 16 hex digits (either case); anything else is nil.
    public init?(hex: String) {
        guard hex.utf8.count == 2 * KnockToken.byteCount, let bytes = Hex.decode(hex) else { return nil }
        self.bytes = bytes
    }

    /// 16 lowercase hex digits.
    public var hex: String { Hex.encode(bytes) }
    public var description: String { hex }
}
