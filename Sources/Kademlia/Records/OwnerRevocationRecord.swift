import MeshCore

/// An owner key's own list of the certificates it has withdrawn, published in the DHT under the owner's key
/// (decision 0100), so a peer can learn a revocation without trusting the revoked agent to carry it.
///
/// Wire form: `version (1) ‖ owner key (32) ‖ sequence (u64) ‖ issued (ms) ‖ expires (ms) ‖ count u8 (≤ 16) ‖
/// entries (agent key 32 ‖ serial u64 ‖ revokedAt s i64 ‖ entry signature 64, 112 each) ‖ signature (64)`.
/// The record's signature (by the owner, under `SignatureDomain.ownerRevocationRecord`) covers every byte before
/// it, so a storer can check that only the owner wrote it and that a newer sequence really is the owner's. Each
/// entry carries the owner's signature of that one revocation too (`meshpeer/v1/owner-revocation`, checked by
/// MeshPeer, not by storers), so a revocation means the same here as in an agent's record. At most 1,978 bytes.
public struct OwnerRevocationRecord: Hashable, Sendable {
    public static let currentVersion: UInt8 = 1
    /// As many as an owner's revocation list keeps; the whole record stays well inside `RecordEnvelope`.
    public static let maximumEntries = 16
    public static let entryByteCount = Ed25519.publicKeyByteCount + 8 + 8 + Ed25519.signatureByteCount
    static let headerByteCount = 1 + Ed25519.publicKeyByteCount + 8 + 8 + 8 + 1
    public static let maximumByteCount =
        headerByteCount + maximumEntries * entryByteCount + Ed25519.signatureByteCount

    /// One withdrawn certificate: the agent, the certificate's serial, when, and the owner's signature of it.
    public struct Entry: Hashable, Sendable {
        public var agent: Ed25519.PublicKey
        public var serial: UInt64
        /// Whole seconds since the epoch.
        public var revokedAtSeconds: Int64
        public var signature: Ed25519.Signature

        public init(agent: Ed25519.PublicKey, serial: UInt64, revokedAtSeconds: Int64, signature: Ed25519.Signature) {
            self.agent = agent
            self.serial = serial
            self.revokedAtSeconds = revokedAtSeconds
            self.signature = signature
        }
    }

    public var owner: Ed25519.PublicKey
    public var sequence: UInt64
    public var issuedAt: Timestamp
    public var expiresAt: Timestamp
    public var entries: [Entry]
    public var signature: Ed25519.Signature

    /// Where an owner's list lives: a hash of the owner key under its own label (not the owner's node ID, so it
    /// cannot collide with a record of the same key used as an agent).
    public static func key(forOwner owner: Ed25519.PublicKey) -> NodeID {
        NodeID.hashing(owner.rawRepresentation, label: "meshpeer/v1/owner-revocations-key")
    }

    public var key: NodeID { OwnerRevocationRecord.key(forOwner: owner) }

    /// Every field but the signature, in wire order.
    public var signedBytes: [UInt8] {
        var writer = WireWriter(capacity: OwnerRevocationRecord.maximumByteCount)
        writer.write(OwnerRevocationRecord.currentVersion)
        writer.write(raw: owner.rawRepresentation)
        writer.write(sequence)
        writer.write(issuedAt.millisecondsSinceEpoch)
        writer.write(expiresAt.millisecondsSinceEpoch)
        writer.write(UInt8(truncatingIfNeeded: entries.count))
        for entry in entries {
            writer.write(raw: entry.agent.rawRepresentation)
            writer.write(entry.serial)
            writer.write(entry.revokedAtSeconds)
            writer.write(raw: entry.signature.rawRepresentation)
        }
        return writer.bytes
    }

    /// Signs a list with the owner's key. Times are rounded to milliseconds (as on the wire); throws
    /// `RecordRejection` when the entries are out of bounds, so an invalid record is never signed.
    public static func signed(
        by owner: Ed25519.PrivateKey,
        sequence: UInt64,
        issuedAt: Timestamp,
        expiresAt: Timestamp,
        entries: [Entry]
    ) throws -> OwnerRevocationRecord {
        var record = OwnerRevocationRecord(
            owner: owner.publicKey,
            sequence: sequence,
            issuedAt: Timestamp(nanosecondsSinceEpoch: issuedAt.millisecondsSinceEpoch * 1_000_000),
            expiresAt: Timestamp(nanosecondsSinceEpoch: expiresAt.millisecondsSinceEpoch * 1_000_000),
            entries: entries,
            signature: try Ed25519.Signature(rawRepresentation: [UInt8](repeating: 0, count: 64))
        )
        try record.checkLimits()
        record.signature = owner.signature(for: record.signedBytes, domain: .ownerRevocationRecord)
        return record
    }

    init(
        owner: Ed25519.PublicKey,
        sequence: UInt64,
        issuedAt: Timestamp,
        expiresAt: Timestamp,
        entries: [Entry],
        signature: Ed25519.Signature
    ) {
        self.owner = owner
        self.sequence = sequence
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.entries = entries
        self.signature = signature
    }

    /// The shape checks the signer and the validator share: a bounded count, times a `Timestamp` holds, and no
    /// certificate named twice (one canonical list per content).
    public func checkLimits() throws {
        guard entries.count <= OwnerRevocationRecord.maximumEntries else {
            throw RecordRejection(
                .oversize,
                "\(entries.count) revocations; at most \(OwnerRevocationRecord.maximumEntries)"
            )
        }
        var seen = Set<[UInt8]>()
        for entry in entries {
            guard OwnerRevocationRecord.secondsRange.contains(entry.revokedAtSeconds) else {
                throw RecordRejection(.malformed, "a revocation time of \(entry.revokedAtSeconds) s is out of range")
            }
            var name = entry.agent.rawRepresentation
            withUnsafeBytes(of: entry.serial.bigEndian) { name.append(contentsOf: $0) }
            guard seen.insert(name).inserted else {
                throw RecordRejection(.malformed, "serial \(entry.serial) of one agent is listed twice")
            }
        }
    }

    /// Seconds a `Timestamp` holds exactly (as MeshPeer's owner certificates accept).
    static let secondsRange: ClosedRange<Int64> = -9_000_000_000...9_000_000_000

    public var envelope: RecordEnvelope { RecordEnvelope(type: .ownerRevocations, bytes: wireBytes) }

    public var isAuthentic: Bool {
        owner.isValidSignature(signature, for: signedBytes, domain: .ownerRevocationRecord)
    }
}

extension OwnerRevocationRecord: WireEncodable, WireDecodable {
    public func encode(to writer: inout WireWriter) {
        writer.write(raw: signedBytes)
        writer.write(raw: signature.rawRepresentation)
    }

    /// Strict: a known version, valid key encodings, at most `maximumEntries` entries; bounds-checked throughout.
    public init(from reader: inout WireReader) throws {
        let start = reader.position
        let version = try reader.readUInt8()
        guard version == OwnerRevocationRecord.currentVersion else {
            throw WireError(
                .unsupportedVersion,
                at: start,
                "owner revocation record version \(version); this build reads version 1"
            )
        }
        owner = try OwnerRevocationRecord.readKey(&reader)
        sequence = try reader.readUInt64()
        issuedAt = Timestamp(nanosecondsSinceEpoch: try AgentRecord.readMilliseconds(&reader))
        expiresAt = Timestamp(nanosecondsSinceEpoch: try AgentRecord.readMilliseconds(&reader))
        let countAt = reader.position
        let count = Int(try reader.readUInt8())
        guard count <= OwnerRevocationRecord.maximumEntries else {
            throw WireError(
                .oversize,
                at: countAt,
                "\(count) revocations; at most \(OwnerRevocationRecord.maximumEntries)"
            )
        }
        var entries: [Entry] = []
        entries.reserveCapacity(count)
        for _ in 0..<count {
            let agent = try OwnerRevocationRecord.readKey(&reader)
            let serial = try reader.readUInt64()
            let timeAt = reader.position
            let seconds = try reader.readInt64()
            guard OwnerRevocationRecord.secondsRange.contains(seconds) else {
                throw WireError(.invalidValue, at: timeAt, "a revocation time of \(seconds) s is out of range")
            }
            let signature = try Ed25519.Signature(rawRepresentation: try reader.readBytes(Ed25519.signatureByteCount))
            entries.append(Entry(agent: agent, serial: serial, revokedAtSeconds: seconds, signature: signature))
        }
        self.entries = entries
        signature = try Ed25519.Signature(rawRepresentation: try reader.readBytes(Ed25519.signatureByteCount))
    }

    static func readKey(_ reader: inout WireReader) throws -> Ed25519.PublicKey {
        let start = reader.position
        do {
            return try Ed25519.PublicKey(rawRepresentation: try reader.readBytes(Ed25519.publicKeyByteCount))
        } catch let error as WireError {
            throw error
        } catch {
            throw WireError(.invalidValue, at: start, "key: \(error)")
        }
    }
}
