import MeshCore

/// Validates agent records: the key is the DID's, the signature is the DID key's, sizes and lifetime are bounded.
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
        } catch {
            throw RecordRejection(.malformed, "\(error)")
        }
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
            envelope: envelope
        )
    }
}
