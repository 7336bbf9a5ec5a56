import MeshCore

/// An agent's signed self-description, stored under `AgentRecord.key(forDID:)` (BEP 44's mutable item).
///
/// The DHT reads only the version, the DID, the sequence and the times. The agent card (compact A2A AgentCard
/// JSON), the home relays, the address hints, the X3DH prekey bundle and the extensions are opaque bytes that the
/// MeshPeer, relay, ICE and ratchet modules fill and read. The signature covers every field, under
/// `SignatureDomain.agentRecord`. Wire form and limits: docs/kademlia.md, decision 0072.
public struct AgentRecord: Hashable, Sendable {
    /// The only record version this build reads and writes; any other leading byte is refused.
    public static let currentVersion: UInt8 = 2

    // The limits below are the one source of truth for the record's budget; `maximumEncodedByteCount` adds
    // them up and a test proves it stays within `RecordEnvelope.maximumByteCount`.
    public static let maximumDIDBytes = DIDKey.maximumLength
    public static let maximumCardBytes = 1_100
    public static let maximumRelays = 4
    public static let maximumRelayBytes = 96
    public static let maximumHints = 4
    public static let maximumHintBytes = 32
    /// A version 1 prekey bundle without one-time prekeys is 130 bytes (decision 0071); the rest is headroom.
    public static let maximumPrekeyBundleBytes = 192
    public static let maximumExtensions = 8
    /// All extensions together, each counted with its 4-byte type and length header.
    public static let maximumExtensionBytes = 320

    /// The largest record the limits allow, in bytes: every field at its maximum.
    public static let maximumEncodedByteCount =
        1  // version
        + 1 + maximumDIDBytes
        + 8 + 8 + 8  // sequence, issued, expires
        + 2 + maximumCardBytes
        + 1 + maximumRelays * (1 + maximumRelayBytes)
        + 1 + maximumHints * (1 + maximumHintBytes)
        + 2 + maximumPrekeyBundleBytes
        + 1 + maximumExtensionBytes
        + Ed25519.signatureByteCount

    public var did: String
    public var sequence: UInt64
    public var issuedAt: Timestamp
    public var expiresAt: Timestamp
    public var agentCard: [UInt8]
    public var homeRelays: [String]
    public var addressHints: [[UInt8]]
    public var prekeyBundle: [UInt8]
    /// Typed, length-prefixed additions (knock policy now; certificates and revocation later). Types strictly
    /// increase; unknown types are kept, signed and forwarded.
    public var extensions: [RecordExtension]
    public var signature: Ed25519.Signature

    /// Where a DID's record lives: a hash of the DID under its own label, computable by anyone who knows it.
    public static func key(forDID did: String) -> NodeID {
        NodeID.hashing(Array(did.utf8), label: "meshpeer/v1/agent-record-key")
    }

    public var key: NodeID { AgentRecord.key(forDID: did) }

    /// Builds and signs a record for `signer`. Throws `RecordRejection` (`.oversize` or `.malformed`, naming the
    /// field) when a field is outside the limits, so an invalid record is never signed.
    public static func signed(
        by signer: Ed25519.PrivateKey,
        sequence: UInt64,
        issuedAt: Timestamp,
        ttl: Duration,
        agentCard: [UInt8] = [],
        homeRelays: [String] = [],
        addressHints: [[UInt8]] = [],
        prekeyBundle: [UInt8] = [],
        extensions: [RecordExtension] = []
    ) throws -> AgentRecord {
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
            extensions: extensions,
            signature: try! Ed25519.Signature(rawRepresentation: [UInt8](repeating: 0, count: 64))
        )
        try record.checkLimits()
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
        prekeyBundle: [UInt8] = [],
        extensions: [RecordExtension] = []
    ) throws -> AgentRecord {
        try signed(
            by: identity.signingKey,
            sequence: sequence,
            issuedAt: issuedAt,
            ttl: ttl,
            agentCard: agentCard,
            homeRelays: homeRelays,
            addressHints: addressHints,
            prekeyBundle: prekeyBundle,
            extensions: extensions
        )
    }

    /// The first extension of `type`, if the record carries one.
    public func extensionValue(ofType type: UInt16) -> [UInt8]? {
        extensions.first { $0.type == type }?.value
    }

    /// Every field but the signature, in wire order.
    public var signedBytes: [UInt8] {
        var writer = WireWriter(capacity: 256 + agentCard.count + prekeyBundle.count)
        encodeUnsigned(to: &writer)
        return writer.bytes
    }

    func encodeUnsigned(to writer: inout WireWriter) {
        writer.write(AgentRecord.currentVersion)
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
        writer.writeCount(extensions.count, .uint8)
        for item in extensions {
            writer.write(item.type)
            writer.writeLengthPrefixed(item.value, .uint16)
        }
    }

    public var envelope: RecordEnvelope { RecordEnvelope(type: .agent, bytes: wireBytes) }
}

extension AgentRecord: WireEncodable, WireDecodable {
    public func encode(to writer: inout WireWriter) {
        encodeUnsigned(to: &writer)
        writer.write(raw: signature.rawRepresentation)
    }

    public init(from reader: inout WireReader) throws {
        let start = reader.position
        let version = try reader.readUInt8()
        guard version == AgentRecord.currentVersion else {
            throw WireError(
                .unsupportedVersion,
                at: start,
                "agent record version \(version); this build reads version \(AgentRecord.currentVersion)"
            )
        }
        did = try reader.readString(.uint8, maximum: AgentRecord.maximumDIDBytes)
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
        extensions = try RecordExtension.readList(&reader)
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

/// One typed addition to an agent record: `type (u16) ‖ u16 length ‖ value`. Types strictly increase within a
/// record (one of each, one canonical order). A node keeps, signs over and forwards types it does not know, so a
/// new extension needs no flag day. Registered types: docs/kademlia.md.
public struct RecordExtension: Hashable, Sendable {
    /// The knock policy: `token (8) ‖ difficulty (u8)`, written and read by MeshPeer's profile.
    public static let knockPolicy: UInt16 = 1

    public var type: UInt16
    public var value: [UInt8]

    public init(type: UInt16, value: [UInt8]) {
        self.type = type
        self.value = value
    }

    /// Its share of `AgentRecord.maximumExtensionBytes`: the value and its 4-byte header.
    public var byteCount: Int { 4 + value.count }

    static func readList(_ reader: inout WireReader) throws -> [RecordExtension] {
        let count = try reader.readCount(.uint8, maximum: AgentRecord.maximumExtensions)
        var items: [RecordExtension] = []
        var total = 0
        for _ in 0..<count {
            let start = reader.position
            let type = try reader.readUInt16()
            if let last = items.last, type <= last.type {
                throw WireError(
                    .invalidValue,
                    at: start,
                    "extension type \(type) after \(last.type); types must increase"
                )
            }
            let value = try reader.readLengthPrefixed(
                .uint16,
                maximum: AgentRecord.maximumExtensionBytes - total - 4
            )
            let item = RecordExtension(type: type, value: value)
            total += item.byteCount
            items.append(item)
        }
        return items
    }
}
