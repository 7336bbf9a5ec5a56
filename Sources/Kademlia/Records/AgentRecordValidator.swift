import MeshCore

/// Validates agent records: the version is known, the key is the DID's, the signature is the DID key's, sizes and
/// lifetime are bounded.
public struct AgentRecordValidator: RecordValidator {
    public var type: RecordType { .agent }

    public init() {}

    public func validate(_ envelope: RecordEnvelope, now: Timestamp, limits: RecordLimits) throws -> ValidatedRecord {
        guard envelope.type == .agent else { throw RecordRejection(.unknownType, "not an agent record") }
        guard envelope.bytes.count <= RecordEnvelope.maximumByteCount else {
            throw RecordRejection(.oversize, "\(envelope.bytes.count) bytes")
        }
        let record: AgentRecord
        do {
            record = try AgentRecord(wireBytes: envelope.bytes)
        } catch let error as WireError where error.code == .oversize {
            throw RecordRejection(.oversize, "\(error)")
        } catch {
            throw RecordRejection(.malformed, "\(error)")
        }
        try record.checkLimits()
        let publicKey: Ed25519.PublicKey
        do {
            publicKey = try DIDKey.decode(record.did)
        } catch {
            throw RecordRejection(.malformed, "\(error)")
        }
        guard publicKey.isValidSignature(record.signature, for: record.signedBytes, domain: .agentRecord) else {
            throw RecordRejection(.badSignature, "agent record for \(record.did) is not signed by its key")
        }
        try limits.check(issuedAt: record.issuedAt, expiresAt: record.expiresAt, now: now)
        return ValidatedRecord(
            key: record.key,
            type: .agent,
            sequence: record.sequence,
            expiresAt: record.expiresAt,
            publisher: NodeID(publicKey: publicKey),
            envelope: envelope,
            signer: publicKey
        )
    }
}

extension AgentRecord {
    /// The size and shape checks, in one place: the signer runs them before signing, the validator after
    /// decoding. Throws `RecordRejection` naming the field that is out of bounds.
    public func checkLimits() throws {
        func within(_ count: Int, _ limit: Int, _ field: String, unit: String = "bytes") throws {
            guard count <= limit else {
                throw RecordRejection(.oversize, "\(field) is \(count) \(unit); at most \(limit)")
            }
        }
        try within(did.utf8.count, AgentRecord.maximumDIDBytes, "did")
        try within(agentCard.count, AgentRecord.maximumCardBytes, "agentCard")
        try within(homeRelays.count, AgentRecord.maximumRelays, "homeRelays", unit: "relays")
        for (index, relay) in homeRelays.enumerated() {
            try within(relay.utf8.count, AgentRecord.maximumRelayBytes, "homeRelays[\(index)]")
        }
        try within(addressHints.count, AgentRecord.maximumHints, "addressHints", unit: "hints")
        for (index, hint) in addressHints.enumerated() {
            try within(hint.count, AgentRecord.maximumHintBytes, "addressHints[\(index)]")
        }
        try within(prekeyBundle.count, AgentRecord.maximumPrekeyBundleBytes, "prekeyBundle")
        try within(extensions.count, AgentRecord.maximumExtensions, "extensions", unit: "extensions")
        try within(extensions.reduce(0) { $0 + $1.byteCount }, AgentRecord.maximumExtensionBytes, "extensions")
        for (index, item) in extensions.enumerated().dropFirst() where item.type <= extensions[index - 1].type {
            throw RecordRejection(
                .malformed,
                "extensions[\(index)] has type \(item.type) after \(extensions[index - 1].type); types must increase"
            )
        }
    }
}
