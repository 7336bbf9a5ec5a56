import MeshCore

/// An agent's signed self-description, stored under `AgentRecord.key(forDID:)` (BEP 44's mutable item).
///
/// The DHT reads only the DID, the sequence and the times. The agent card (A2A-style JSON), the home relays, the
/// address hints and the X3DH prekey bundle are opaque bytes that the MeshPeer, relay, ICE and ratchet modules
/// fill and read. The signature covers every field, under `SignatureDomain.agentRecord`.
public struct AgentRecord: Hashable, Sendable {
    public static let maximumCardBytes = 1_400
    public static let maximumRelays = 4
    public static let maximumRelayBytes = 128
    public static let maximumHints = 8
    public static let maximumHintBytes = 64
    public static let maximumPrekeyBundleBytes = 600

    public var did: String
    public var sequence: UInt64
    public var issuedAt: Timestamp
    public var expiresAt: Timestamp
    public var agentCard: [UInt8]
    public var homeRelays: [String]
    public var addressHints: [[UInt8]]
    public var prekeyBundle: [UInt8]
    public var signature: Ed25519.Signature

    /// Where a DID's record lives: a hash of the DID under its own label, computable by anyone who knows it.
    public static func key(forDID did: String) -> NodeID {
        NodeID.hashing(Array(did.utf8), label: "meshpeer/v1/agent-record-key")
    }

    public var key: NodeID { AgentRecord.key(forDID: did) }

    /// Builds and signs a record for `identity`.
    public static func signed(
        by signer: Ed25519.PrivateKey,
        sequence: UInt64,
        issuedAt: Timestamp,
        ttl: Duration,
        agentCard: [UInt8] = [],
        homeRelays: [String] = [],
        addressHints: [[UInt8]] = [],
        prekeyBundle: [UInt8] = []
    ) -> AgentRecord {
        // Times travel in milliseconds; rounding here makes a decoded record equal to the one we signed.
        let issuedAt = Timestamp(nanosecondsSinceEpoch: issuedAt.millisecondsSinceEpoch * 1_000_000)
        var record = AgentRecord(
            did: signer.publicKey.did,
            sequence: sequence,
            issuedAt: issuedAt,
            expiresAt: issuedAt + ttl,
            agentCard: agentCard,
            homeRelays: homeRelays,
            addressHints: addressHints,
            prekeyBundle: prekeyBundle,
            signature: try! Ed25519.Signature(rawRepresentation: [UInt8](repeating: 0, count: 64))
        )
        record.signature = signer.signature(for: record.signedBytes, domain: .agentRecord)
        return record
    }

    public static func signed(
        by identity: AgentIdentity,
        sequence: UInt64,
        issuedAt: Timestamp,
        ttl: Duration,
        agentCard: [UInt8] = [],
        homeRelays: [String] = [],
        addressHints: [[UInt8]] = [],
        prekeyBundle: [UInt8] = []
    ) -> AgentRecord {
        signed(
            by: identity.signingKey,
            sequence: sequence,
            issuedAt: issuedAt,
            ttl: ttl,
            agentCard: agentCard,
            homeRelays: homeRelays,
            addressHints: addressHints,
            prekeyBundle: prekeyBundle
        )
    }

    /// Every field but the signature, in wire order.
    public var signedBytes: [UInt8] {
        var writer = WireWriter(capacity: 256 + agentCard.count + prekeyBundle.count)
        encodeUnsigned(to: &writer)
        return writer.bytes
    }

    func encodeUnsigned(to writer: inout WireWriter) {
        writer.writeString(did, .uint8)
        writer.write(sequence)
        writer.write(issuedAt.millisecondsSinceEpoch)
        writer.write(expiresAt.millisecondsSinceEpoch)
        writer.writeLengthPrefixed(agentCard, .uint16)
        writer.writeCount(homeRelays.count, .uint8)
        for relay in homeRelays { writer.writeString(relay, .uint8) }
        writer.writeCount(addressHints.count, .uint8)
        for hint in addressHints { writer.writeLengthPrefixed(hint, .uint8) }
        writer.writeLengthPrefixed(prekeyBundle, .uint16)
    }

    public var envelope: RecordEnvelope { RecordEnvelope(type: .agent, bytes: wireBytes) }
}

extension AgentRecord: WireEncodable, WireDecodable {
    public func encode(to writer: inout WireWriter) {
        encodeUnsigned(to: &writer)
        writer.write(raw: signature.rawRepresentation)
    }

    public init(from reader: inout WireReader) throws {
        did = try reader.readString(.uint8, maximum: DIDKey.maximumLength)
        sequence = try reader.readUInt64()
        issuedAt = Timestamp(nanosecondsSinceEpoch: try AgentRecord.readMilliseconds(&reader))
        expiresAt = Timestamp(nanosecondsSinceEpoch: try AgentRecord.readMilliseconds(&reader))
        agentCard = try reader.readLengthPrefixed(.uint16, maximum: AgentRecord.maximumCardBytes)
        let relayCount = try reader.readCount(.uint8, maximum: AgentRecord.maximumRelays)
        homeRelays = try (0..<relayCount).map { _ in
            try reader.readString(.uint8, maximum: AgentRecord.maximumRelayBytes)
        }
        let hintCount = try reader.readCount(.uint8, maximum: AgentRecord.maximumHints)
        addressHints = try (0..<hintCount).map { _ in
            try reader.readLengthPrefixed(.uint8, maximum: AgentRecord.maximumHintBytes)
        }
        prekeyBundle = try reader.readLengthPrefixed(.uint16, maximum: AgentRecord.maximumPrekeyBundleBytes)
        signature = try Ed25519.Signature(rawRepresentation: try reader.readBytes(Ed25519.signatureByteCount))
    }

    /// Milliseconds on the wire, nanoseconds in memory; out-of-range values are malformed, not clamped silently.
    static func readMilliseconds(_ reader: inout WireReader) throws -> Int64 {
        let start = reader.position
        let milliseconds = try reader.readInt64()
        let (value, overflow) = milliseconds.multipliedReportingOverflow(by: 1_000_000)
        guard !overflow else { throw WireError(.invalidValue, at: start, "timestamp out of range") }
        return value
    }
}
