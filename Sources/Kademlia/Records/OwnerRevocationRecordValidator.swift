import MeshCore

/// Validates an owner's revocation list (decision 0100): a known version, bounded entries, signed by the owner key
/// it names, stored under that key's hash, with a bounded lifetime. Storers do not check the entries' own
/// signatures; the peers that read the list do (MeshPeer's `OwnerRevocationRecord.revocations`).
public struct OwnerRevocationRecordValidator: RecordValidator {
    public var type: RecordType { .ownerRevocations }

    public init() {}

    public func validate(_ envelope: RecordEnvelope, now: Timestamp, limits: RecordLimits) throws -> ValidatedRecord {
        guard envelope.type == .ownerRevocations else {
            throw RecordRejection(.unknownType, "not an owner revocation record")
        }
        guard envelope.bytes.count <= OwnerRevocationRecord.maximumByteCount else {
            throw RecordRejection(.oversize, "\(envelope.bytes.count) bytes")
        }
        let record: OwnerRevocationRecord
        do {
            record = try OwnerRevocationRecord(wireBytes: envelope.bytes)
        } catch let error as WireError where error.code == .oversize {
            throw RecordRejection(.oversize, "\(error)")
        } catch {
            throw RecordRejection(.malformed, "\(error)")
        }
        try record.checkLimits()
        guard record.isAuthentic else {
            throw RecordRejection(.badSignature, "owner revocation record is not signed by its owner")
        }
        try limits.check(issuedAt: record.issuedAt, expiresAt: record.expiresAt, now: now)
        return ValidatedRecord(
            key: record.key,
            type: .ownerRevocations,
            sequence: record.sequence,
            expiresAt: record.expiresAt,
            publisher: NodeID(publicKey: record.owner),
            envelope: envelope
        )
    }
}
