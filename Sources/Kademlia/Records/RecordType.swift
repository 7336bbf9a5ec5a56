import MeshCore

/// The kinds of record the DHT stores. Each has its own validator; unknown types are refused.
public enum RecordType: UInt8, Sendable, CaseIterable {
    /// An agent's signed, mutable self-description (one per DID, newest sequence wins).
    case agent = 1
    /// One provider of one capability (many per key).
    case provider = 2
    /// Reserved for the relay module's signed adverts.
    case relayAdvert = 3
    /// A private agent's record, sealed under an invite slot's key (one per slot, newest sequence wins).
    case sealed = 4
    /// An owner key's signed list of withdrawn certificates (one per owner, newest sequence wins; decision 0100).
    case ownerRevocations = 5
}

/// A record in transit: its type tag and its encoded bytes, validated by the type's `RecordValidator`.
public struct RecordEnvelope: Hashable, Sendable {
    public static let maximumByteCount = 2_400

    public var type: RecordType
    public var bytes: [UInt8]

    public init(type: RecordType, bytes: [UInt8]) {
        self.type = type
        self.bytes = bytes
    }
}

extension RecordEnvelope: WireEncodable, WireDecodable {
    public func encode(to writer: inout WireWriter) {
        writer.write(type.rawValue)
        writer.writeLengthPrefixed(bytes, .uint16)
    }

    public init(from reader: inout WireReader) throws {
        let start = reader.position
        let raw = try reader.readUInt8()
        guard let type = RecordType(rawValue: raw) else {
            throw WireError(.invalidValue, at: start, "record type \(raw)")
        }
        self.init(type: type, bytes: try reader.readLengthPrefixed(.uint16, maximum: RecordEnvelope.maximumByteCount))
    }
}

/// What a validator vouches for: where the record lives, its order and its end of life.
public struct ValidatedRecord: Sendable, Equatable {
    public var key: NodeID
    public var type: RecordType
    /// Newer wins for mutable records; for provider entries it orders one provider's own updates.
    public var sequence: UInt64
    public var expiresAt: Timestamp
    /// The signer's node ID: one slot per provider under a provider key.
    public var publisher: NodeID
    public var envelope: RecordEnvelope
    /// The key the signature verified under, when the validator decoded one (an agent record's DID key), so a
    /// reader that checks more under the same key (the card's own signature) need not decode and validate the
    /// point again: that check is as costly as a signature verification. Derived from the envelope, so it takes
    /// no part in equality.
    public var signer: Ed25519.PublicKey?

    public init(
        key: NodeID,
        type: RecordType,
        sequence: UInt64,
        expiresAt: Timestamp,
        publisher: NodeID,
        envelope: RecordEnvelope,
        signer: Ed25519.PublicKey? = nil
    ) {
        self.key = key
        self.type = type
        self.sequence = sequence
        self.expiresAt = expiresAt
        self.publisher = publisher
        self.envelope = envelope
        self.signer = signer
    }

    public static func == (lhs: ValidatedRecord, rhs: ValidatedRecord) -> Bool {
        lhs.key == rhs.key && lhs.type == rhs.type && lhs.sequence == rhs.sequence && lhs.expiresAt == rhs.expiresAt
            && lhs.publisher == rhs.publisher && lhs.envelope == rhs.envelope
    }
}

/// Checks one record type: decoding, signature, sizes and lifetime. Ordering against a stored record is the
/// store's job (`RecordStoreRules`), so validators are stateless and `Sendable`.
public protocol RecordValidator: Sendable {
    var type: RecordType { get }
    func validate(_ envelope: RecordEnvelope, now: Timestamp, limits: RecordLimits) throws -> ValidatedRecord
}

/// The time limits every validator applies.
public struct RecordLimits: Sendable {
    public var maximumLifetime: Duration
    public var maximumClockSkew: Duration

    public init(maximumLifetime: Duration, maximumClockSkew: Duration) {
        self.maximumLifetime = maximumLifetime
        self.maximumClockSkew = maximumClockSkew
    }

    /// The shared lifetime checks: not expired, not issued in the future, not living longer than allowed.
    public func check(issuedAt: Timestamp, expiresAt: Timestamp, now: Timestamp) throws {
        guard expiresAt > now else { throw RecordRejection(.expired, "expired at \(expiresAt), now \(now)") }
        guard issuedAt <= now + maximumClockSkew else {
            throw RecordRejection(.issuedInFuture, "issued at \(issuedAt), now \(now)")
        }
        guard expiresAt - issuedAt <= maximumLifetime, expiresAt > issuedAt else {
            throw RecordRejection(.lifetimeTooLong, "lifetime \(expiresAt - issuedAt) over \(maximumLifetime)")
        }
    }
}
