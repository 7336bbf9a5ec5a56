import MeshCore

/// The audit log's hash chain. An entry's hash is BLAKE2b-256 over a domain label, the previous entry's hash and
/// the entry's canonical encoding (fixed field order, explicit lengths, details sorted by key), so the same
/// facts always give the same bytes and no two different entries give the same bytes. The first entry links to
/// a genesis hash derived from the node's key, so one node's log cannot pass for another's.
public enum AuditChain {
    public static let hashByteCount = 32
    static let entryDomain = Array("meshpeer/v1/audit-entry".utf8)
    static let genesisDomain = Array("meshpeer/v1/audit-genesis".utf8)
    static let encodingVersion: UInt8 = 1

    /// What the first entry of `node`'s log links to.
    public static func genesis(for node: Ed25519.PublicKey) -> [UInt8] {
        var writer = WireWriter()
        writer.writeLengthPrefixed(genesisDomain, .uint8)
        writer.write(raw: node.rawRepresentation)
        return BLAKE2b.hash(writer.bytes, outputByteCount: hashByteCount)
    }

    public static func hash(
        sequence: UInt64,
        at: Timestamp,
        record: AuditEntry.Record,
        previousHash: [UInt8]
    )
        -> [UInt8]
    {
        var writer = WireWriter(capacity: 256)
        writer.writeLengthPrefixed(entryDomain, .uint8)
        writer.writeLengthPrefixed(previousHash, .uint32)
        writer.write(encodingVersion)
        writer.write(sequence)
        writer.write(at.millisecondsSinceEpoch)
        writer.writeString(record.kind.rawValue, .uint32)
        writeOptional(record.peer, &writer)
        writeOptional(record.intent, &writer)
        writer.write(record.size != nil)
        writer.write(UInt64(clamping: record.size ?? 0))
        writeOptional(record.path, &writer)
        let keys = record.detail.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        writer.writeCount(keys.count, .uint16)
        for key in keys {
            writer.writeString(key, .uint32)
            writer.writeString(record.detail[key] ?? "", .uint32)
        }
        return BLAKE2b.hash(writer.bytes, outputByteCount: hashByteCount)
    }

    /// Whether `entry`'s stored hash is the hash of its stored contents (constant time, though nothing here is
    /// secret: it keeps one comparison for every hash in the code base).
    public static func isSelfConsistent(_ entry: AuditEntry) -> Bool {
        guard AuditLimits.fits(entry.record), entry.previousHash.count == hashByteCount else { return false }
        let expected = hash(
            sequence: entry.sequence,
            at: entry.at,
            record: entry.record,
            previousHash: entry.previousHash
        )
        return entry.hash.count == hashByteCount && ConstantTime.equals(expected, entry.hash)
    }

    private static func writeOptional(_ text: String?, _ writer: inout WireWriter) {
        writer.write(text != nil)
        writer.writeString(text ?? "", .uint32)
    }
}
