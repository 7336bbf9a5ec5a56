import MeshCore

/// Validates sealed records without reading them: the version is known, the shape is within bounds, the slot key
/// signed it, it lives under the slot key's hash, and its lifetime is bounded. Storers learn nothing else.
public struct SealedRecordValidator: RecordValidator {
    public var type: RecordType { .sealed }

    public init() {}

    public func validate(_ envelope: RecordEnvelope, now: Timestamp, limits: RecordLimits) throws -> ValidatedRecord {
        guard envelope.type == .sealed else { throw RecordRejection(.unknownType, "not a sealed record") }
        guard envelope.bytes.count <= RecordEnvelope.maximumByteCount else {
            throw RecordRejection(.oversize, "\(envelope.bytes.count) bytes")
        }
        let record: SealedRecord
        do {
            record = try SealedRecord(wireBytes: envelope.bytes)
        } catch let error as WireError where error.code == .oversize {
            throw RecordRejection(.oversize, "\(error)")
        } catch {
            throw RecordRejection(.malformed, "\(error)")
        }
        try record.checkLimits()
        guard record.slotKey.isValidSignature(record.signature, for: record.signedBytes, domain: .sealedRecord) else {
            throw RecordRejection(.badSignature, "sealed record is not signed by its slot key")
        }
        try limits.check(issuedAt: record.issuedAt, expiresAt: record.expiresAt, now: now)
        return ValidatedRecord(
            key: record.key,
            type: .sealed,
            sequence: record.sequence,
            expiresAt: record.expiresAt,
            publisher: NodeID(publicKey: record.slotKey),
            envelope: envelope
        )
    }
}
