import MeshCore

/// Where a trimmed head of the audit log ended: the last trimmed entry's sequence number and hash, signed by the
/// node's identity key under its own domain label. The first kept entry links to `hash`, so the chain still
/// verifies from the checkpoint on, and a log cut without one (or with a forged one) does not verify.
public struct AuditCheckpoint: Hashable, Sendable {
    /// The last trimmed entry.
    public var sequence: UInt64
    public var hash: [UInt8]
    /// When the trim happened, and how many entries were trimmed over the log's life.
    public var at: Timestamp
    public var trimmedTotal: UInt64
    public var signature: [UInt8]

    static let version: UInt8 = 1
    public static let encodedMaximum = 1 + 8 + 1 + AuditChain.hashByteCount + 8 + 8 + 1 + Ed25519.signatureByteCount

    /// A checkpoint for `sequence`/`hash`, signed by `identity`.
    public static func signed(
        sequence: UInt64,
        hash: [UInt8],
        at: Timestamp,
        trimmedTotal: UInt64,
        by identity: AgentIdentity
    ) -> AuditCheckpoint {
        var checkpoint = AuditCheckpoint(
            sequence: sequence,
            hash: hash,
            at: at,
            trimmedTotal: trimmedTotal,
            signature: []
        )
        checkpoint.signature =
            identity.signingKey.signature(
                for: checkpoint.signedBytes(node: identity.publicKey),
                domain: .auditCheckpoint
            ).rawRepresentation
        return checkpoint
    }

    public init(sequence: UInt64, hash: [UInt8], at: Timestamp, trimmedTotal: UInt64, signature: [UInt8]) {
        self.sequence = sequence
        self.hash = hash
        self.at = at
        self.trimmedTotal = trimmedTotal
        self.signature = signature
    }

    /// Whether `node` signed exactly this checkpoint.
    public func isValid(for node: Ed25519.PublicKey) -> Bool {
        guard hash.count == AuditChain.hashByteCount,
            let signature = try? Ed25519.Signature(rawRepresentation: signature)
        else { return false }
        return node.isValidSignature(signature, for: signedBytes(node: node), domain: .auditCheckpoint)
    }

    /// The signed bytes name the node, so one node's checkpoint cannot vouch for another's log.
    func signedBytes(node: Ed25519.PublicKey) -> [UInt8] {
        var writer = WireWriter(capacity: 96)
        writer.write(Self.version)
        writer.write(raw: node.rawRepresentation)
        writer.write(sequence)
        writer.writeLengthPrefixed(hash, .uint8)
        writer.write(at.millisecondsSinceEpoch)
        writer.write(trimmedTotal)
        return writer.bytes
    }

    /// The stored form (in `node_meta`).
    public func encoded() -> [UInt8] {
        var writer = WireWriter(capacity: Self.encodedMaximum)
        writer.write(Self.version)
        writer.write(sequence)
        writer.writeLengthPrefixed(hash, .uint8)
        writer.write(at.millisecondsSinceEpoch)
        writer.write(trimmedTotal)
        writer.writeLengthPrefixed(signature, .uint8)
        return writer.bytes
    }

    /// Strict: the version, exact hash and signature lengths, and nothing after them; never traps.
    public init(decoding bytes: [UInt8]) throws {
        guard bytes.count <= Self.encodedMaximum else {
            throw WireError(.oversize, at: 0, "an audit checkpoint is at most \(Self.encodedMaximum) bytes")
        }
        var reader = WireReader(bytes)
        guard try reader.readUInt8() == Self.version else {
            throw WireError(.unsupportedVersion, at: 0, "unknown audit checkpoint version")
        }
        sequence = try reader.readUInt64()
        let hashAt = reader.position
        hash = try reader.readLengthPrefixed(.uint8, maximum: AuditChain.hashByteCount)
        guard hash.count == AuditChain.hashByteCount else {
            throw WireError(.invalidValue, at: hashAt, "an audit checkpoint's hash is 32 bytes")
        }
        at = try reader.readMilliseconds()
        trimmedTotal = try reader.readUInt64()
        let signatureAt = reader.position
        signature = try reader.readLengthPrefixed(.uint8, maximum: Ed25519.signatureByteCount)
        guard signature.count == Ed25519.signatureByteCount else {
            throw WireError(.invalidValue, at: signatureAt, "an audit checkpoint's signature is 64 bytes")
        }
        try reader.expectEnd()
    }
}
