import MeshCore

/// "This agent offers capability X": one entry under the capability's key, signed by the provider.
///
/// Many providers share one key (bounded per key); each provider has one slot, which its own newer entries replace.
public struct ProviderRecord: Hashable, Sendable {
    public static let maximumHintBytes = 256

    public var key: NodeID
    public var provider: Ed25519.PublicKey
    public var sequence: UInt64
    public var issuedAt: Timestamp
    public var expiresAt: Timestamp
    /// Opaque contact hints (the MeshPeer module puts relay or address hints here); the DHT only bounds its size.
    public var hints: [UInt8]
    public var signature: Ed25519.Signature

    /// Capability names are hashed under their own label, so any agent computes the key from the name alone.
    public static func key(forCapability name: String) -> NodeID {
        NodeID.hashing(Array(name.utf8), label: "meshpeer/v1/capability")
    }

    public static func signed(
        by signer: Ed25519.PrivateKey,
        key: NodeID,
        sequence: UInt64,
        issuedAt: Timestamp,
        ttl: Duration,
        hints: [UInt8] = []
    ) -> ProviderRecord {
        // Times travel in milliseconds; rounding here makes a decoded record equal to the one we signed.
        let issuedAt = Timestamp(nanosecondsSinceEpoch: issuedAt.millisecondsSinceEpoch * 1_000_000)
        var record = ProviderRecord(
            key: key,
            provider: signer.publicKey,
            sequence: sequence,
            issuedAt: issuedAt,
            expiresAt: issuedAt + ttl,
            hints: hints,
            signature: try! Ed25519.Signature(rawRepresentation: [UInt8](repeating: 0, count: 64))
        )
        record.signature = signer.signature(for: record.signedBytes, domain: .providerRecord)
        return record
    }

    public static func signed(
        by identity: AgentIdentity,
        key: NodeID,
        sequence: UInt64,
        issuedAt: Timestamp,
        ttl: Duration,
        hints: [UInt8] = []
    ) -> ProviderRecord {
        signed(by: identity.signingKey, key: key, sequence: sequence, issuedAt: issuedAt, ttl: ttl, hints: hints)
    }

    public var providerDID: String { provider.did }

    public var signedBytes: [UInt8] {
        var writer = WireWriter(capacity: 128 + hints.count)
        encodeUnsigned(to: &writer)
        return writer.bytes
    }

    func encodeUnsigned(to writer: inout WireWriter) {
        writer.write(raw: key.bytes)
        writer.write(raw: provider.rawRepresentation)
        writer.write(sequence)
        writer.write(issuedAt.millisecondsSinceEpoch)
        writer.write(expiresAt.millisecondsSinceEpoch)
        writer.writeLengthPrefixed(hints, .uint16)
    }

    public var envelope: RecordEnvelope { RecordEnvelope(type: .provider, bytes: wireBytes) }
}

extension ProviderRecord: WireEncodable, WireDecodable {
    public func encode(to writer: inout WireWriter) {
        encodeUnsigned(to: &writer)
        writer.write(raw: signature.rawRepresentation)
    }

    public init(from reader: inout WireReader) throws {
        key = try NodeID(bytes: try reader.readBytes(NodeID.byteCount))
        provider = try Ed25519.PublicKey(rawRepresentation: try reader.readBytes(Ed25519.publicKeyByteCount))
        sequence = try reader.readUInt64()
        issuedAt = Timestamp(nanosecondsSinceEpoch: try AgentRecord.readMilliseconds(&reader))
        expiresAt = Timestamp(nanosecondsSinceEpoch: try AgentRecord.readMilliseconds(&reader))
        hints = try reader.readLengthPrefixed(.uint16, maximum: ProviderRecord.maximumHintBytes)
        signature = try Ed25519.Signature(rawRepresentation: try reader.readBytes(Ed25519.signatureByteCount))
    }
}

/// Validates provider entries: signed by the provider they name, bounded, alive.
public struct ProviderRecordValidator: RecordValidator {
    public var type: RecordType { .provider }

    public init() {}

    public func validate(_ envelope: RecordEnvelope, now: Timestamp, limits: RecordLimits) throws -> ValidatedRecord {
        guard envelope.type == .provider else { throw RecordRejection(.unknownType, "not a provider record") }
        let record: ProviderRecord
        do {
            record = try ProviderRecord(wireBytes: envelope.bytes)
        } catch {
            throw RecordRejection(.malformed, "\(error)")
        }
        guard record.provider.isValidSignature(record.signature, for: record.signedBytes, domain: .providerRecord)
        else {
            throw RecordRejection(.badSignature, "provider entry is not signed by \(record.providerDID)")
        }
        try limits.check(issuedAt: record.issuedAt, expiresAt: record.expiresAt, now: now)
        return ValidatedRecord(
            key: record.key,
            type: .provider,
            sequence: record.sequence,
            expiresAt: record.expiresAt,
            publisher: NodeID(publicKey: record.provider),
            envelope: envelope
        )
    }
}
