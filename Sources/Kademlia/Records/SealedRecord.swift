import MeshCore

/// A record whose contents only invite holders can read (a private agent's record, decision 0082).
///
/// The DHT sees a pseudonymous Ed25519 key (`slotKey`, derived by MeshPeer from an invite secret and the DID), a
/// sequence, the times, a nonce and opaque ciphertext, all signed by the slot key under
/// `SignatureDomain.sealedRecord`. It lives under a hash of the slot key, so a storer can check that the record
/// belongs where it is stored and that only the slot's owner wrote it, without learning whose record it is. What
/// the ciphertext holds (an agent record signed by the DID, bound to this slot) is MeshPeer's business.
///
/// Wire form: `version (1) ‖ slot key (32) ‖ sequence (u64) ‖ issued (ms) ‖ expires (ms) ‖ nonce (24) ‖
/// u16 length ‖ ciphertext ‖ signature (64)`; the whole record fits `RecordEnvelope.maximumByteCount`.
public struct SealedRecord: Hashable, Sendable {
    public static let currentVersion: UInt8 = 1
    public static let nonceByteCount = 24
    /// Everything but the ciphertext.
    public static let overheadByteCount =
        1 + Ed25519.publicKeyByteCount + 8 + 8 + 8 + nonceByteCount + 2 + Ed25519.signatureByteCount
    /// The ciphertext's budget: what the envelope leaves after the fixed fields.
    public static let maximumCiphertextBytes = RecordEnvelope.maximumByteCount - overheadByteCount

    public var slotKey: Ed25519.PublicKey
    public var sequence: UInt64
    public var issuedAt: Timestamp
    public var expiresAt: Timestamp
    public var nonce: [UInt8]
    public var ciphertext: [UInt8]
    public var signature: Ed25519.Signature

    /// Where a slot's record lives: a hash of the slot key under its own label.
    public static func key(forSlot slotKey: Ed25519.PublicKey) -> NodeID {
        NodeID.hashing(slotKey.rawRepresentation, label: "meshpeer/v1/sealed-record-key")
    }

    public var key: NodeID { SealedRecord.key(forSlot: slotKey) }

    /// The fields the AEAD authenticates besides the ciphertext: everything before it. A sealer encrypts with
    /// `header(...)` as additional data, so a storer cannot move ciphertext between slots or sequences.
    public static func header(
        slotKey: Ed25519.PublicKey,
        sequence: UInt64,
        issuedAt: Timestamp,
        expiresAt: Timestamp,
        nonce: [UInt8]
    ) -> [UInt8] {
        var writer = WireWriter(capacity: 96)
        writer.write(SealedRecord.currentVersion)
        writer.write(raw: slotKey.rawRepresentation)
        writer.write(sequence)
        writer.write(issuedAt.millisecondsSinceEpoch)
        writer.write(expiresAt.millisecondsSinceEpoch)
        writer.write(raw: nonce)
        return writer.bytes
    }

    public var header: [UInt8] {
        SealedRecord.header(
            slotKey: slotKey,
            sequence: sequence,
            issuedAt: issuedAt,
            expiresAt: expiresAt,
            nonce: nonce
        )
    }

    /// Every field but the signature, in wire order.
    public var signedBytes: [UInt8] {
        var writer = WireWriter(capacity: SealedRecord.overheadByteCount + ciphertext.count)
        writer.write(raw: header)
        writer.writeLengthPrefixed(ciphertext, .uint16)
        return writer.bytes
    }

    /// Signs a sealed record with the slot's key. Times are rounded to milliseconds (as on the wire); throws
    /// `RecordRejection` when the nonce or the ciphertext is out of bounds, so an invalid record is never signed.
    public static func signed(
        by slot: Ed25519.PrivateKey,
        sequence: UInt64,
        issuedAt: Timestamp,
        expiresAt: Timestamp,
        nonce: [UInt8],
        ciphertext: [UInt8]
    ) throws -> SealedRecord {
        var record = SealedRecord(
            slotKey: slot.publicKey,
            sequence: sequence,
            issuedAt: Timestamp(nanosecondsSinceEpoch: issuedAt.millisecondsSinceEpoch * 1_000_000),
            expiresAt: Timestamp(nanosecondsSinceEpoch: expiresAt.millisecondsSinceEpoch * 1_000_000),
            nonce: nonce,
            ciphertext: ciphertext,
            signature: try! Ed25519.Signature(rawRepresentation: [UInt8](repeating: 0, count: 64))
        )
        try record.checkLimits()
        record.signature = slot.signature(for: record.signedBytes, domain: .sealedRecord)
        return record
    }

    /// The shape checks the signer and the validator share.
    public func checkLimits() throws {
        guard nonce.count == SealedRecord.nonceByteCount else {
            throw RecordRejection(.malformed, "nonce is \(nonce.count) bytes; it is \(SealedRecord.nonceByteCount)")
        }
        guard ciphertext.count <= SealedRecord.maximumCiphertextBytes else {
            throw RecordRejection(
                .oversize,
                "ciphertext is \(ciphertext.count) bytes; at most \(SealedRecord.maximumCiphertextBytes)"
            )
        }
    }

    public var envelope: RecordEnvelope { RecordEnvelope(type: .sealed, bytes: wireBytes) }
}

extension SealedRecord: WireEncodable, WireDecodable {
    public func encode(to writer: inout WireWriter) {
        writer.write(raw: signedBytes)
        writer.write(raw: signature.rawRepresentation)
    }

    public init(from reader: inout WireReader) throws {
        let start = reader.position
        let version = try reader.readUInt8()
        guard version == SealedRecord.currentVersion else {
            throw WireError(
                .unsupportedVersion,
                at: start,
                "sealed record version \(version); this build reads version \(SealedRecord.currentVersion)"
            )
        }
        let keyStart = reader.position
        do {
            slotKey = try Ed25519.PublicKey(rawRepresentation: try reader.readBytes(Ed25519.publicKeyByteCount))
        } catch let error as WireError {
            throw error
        } catch {
            throw WireError(.invalidValue, at: keyStart, "slot key: \(error)")
        }
        sequence = try reader.readUInt64()
        issuedAt = Timestamp(nanosecondsSinceEpoch: try AgentRecord.readMilliseconds(&reader))
        expiresAt = Timestamp(nanosecondsSinceEpoch: try AgentRecord.readMilliseconds(&reader))
        nonce = try reader.readBytes(SealedRecord.nonceByteCount)
        ciphertext = try reader.readLengthPrefixed(.uint16, maximum: SealedRecord.maximumCiphertextBytes)
        signature = try Ed25519.Signature(rawRepresentation: try reader.readBytes(Ed25519.signatureByteCount))
    }
}
