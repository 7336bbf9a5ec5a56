import Kademlia
import MeshCore

/// Seals a private agent's record for one invite slot, and opens it for an invite holder (decision 0082).
///
/// The plaintext is `u16 length ‖ agent record ‖ zero padding`, padded to a multiple of 256 bytes so the size of
/// the ciphertext says little about the card. The AEAD's additional data is the sealed record's header (slot key,
/// sequence, times, nonce), so ciphertext cannot be moved to another slot or sequence. Inside, the agent record
/// is signed by the DID, says `private`, and names the slot key (`RecordExtension.inviteSlot`); its sequence and
/// times equal the outer ones, so newer still wins and nothing inside can be replayed under a newer outer record.
public enum SealedAgentRecord {
    public static let maximumPlaintextBytes = SealedRecord.maximumCiphertextBytes - XChaCha20Poly1305.tagByteCount
    /// The largest agent record a sealed record can carry.
    public static let maximumRecordBytes = maximumPlaintextBytes - 2
    /// A private record's card budget: the usual one less what sealing costs, so a record with every other field
    /// at its maximum still fits (a test proves it).
    public static let cardBudget =
        AgentRecord.maximumCardBytes - max(0, AgentRecord.maximumEncodedByteCount - maximumRecordBytes)
    static let paddingQuantum = 256

    /// Seals `record` (already signed by its DID, bound to `slot`) into a record signed by the slot key.
    public static func seal<R: RandomSource>(
        _ record: AgentRecord,
        slot: InviteSlot,
        random: inout R
    ) throws(InviteError) -> SealedRecord {
        var inner = record.wireBytes
        defer { secureZero(&inner) }
        guard inner.count <= maximumRecordBytes else {
            throw InviteError(
                .tooLarge,
                "the agent record is \(inner.count) bytes; a sealed one holds \(maximumRecordBytes)"
            )
        }
        let padded = min(
            maximumPlaintextBytes,
            (2 + inner.count + paddingQuantum - 1) / paddingQuantum * paddingQuantum
        )
        var plaintext = [UInt8(inner.count >> 8), UInt8(inner.count & 0xFF)] + inner
        plaintext += [UInt8](repeating: 0, count: padded - plaintext.count)
        defer { secureZero(&plaintext) }
        let nonce = random.bytes(count: SealedRecord.nonceByteCount)
        let issuedAt = Timestamp(nanosecondsSinceEpoch: record.issuedAt.millisecondsSinceEpoch * 1_000_000)
        let expiresAt = Timestamp(nanosecondsSinceEpoch: record.expiresAt.millisecondsSinceEpoch * 1_000_000)
        let header = SealedRecord.header(
            slotKey: slot.slotKey,
            sequence: record.sequence,
            issuedAt: issuedAt,
            expiresAt: expiresAt,
            nonce: nonce
        )
        do {
            let ciphertext = try XChaCha20Poly1305.seal(
                plaintext,
                key: slot.sealKey,
                nonce: nonce,
                authenticating: header
            )
            return try SealedRecord.signed(
                by: slot.signingKey,
                sequence: record.sequence,
                issuedAt: issuedAt,
                expiresAt: expiresAt,
                nonce: nonce,
                ciphertext: ciphertext
            )
        } catch {
            throw InviteError(.tooLarge, "sealing failed: \(error)")
        }
    }

    /// Opens a sealed record found under `slot`'s key and checks everything an invite holder must: it opens with
    /// the slot's key; the agent record inside is well formed, signed by `did` and within its limits and lifetime;
    /// it says `private`, names this slot, and carries the outer sequence and times.
    public static func open(
        _ sealed: SealedRecord,
        slot: InviteSlot,
        did: String,
        now: Timestamp,
        limits: RecordLimits
    ) throws(InviteError) -> AgentRecord {
        guard sealed.slotKey == slot.slotKey else {
            throw InviteError(.badRecord, "the record belongs to another slot")
        }
        var plaintext: [UInt8]
        do {
            plaintext = try XChaCha20Poly1305.open(
                sealed.ciphertext,
                key: slot.sealKey,
                nonce: sealed.nonce,
                authenticating: sealed.header
            )
        } catch {
            throw InviteError(.badRecord, "the record does not open with this invite's secret")
        }
        defer { secureZero(&plaintext) }
        let envelope = RecordEnvelope(type: .agent, bytes: try recordBytes(fromPlaintext: plaintext))
        let record: AgentRecord
        do {
            _ = try AgentRecordValidator().validate(envelope, now: now, limits: limits)
            record = try AgentRecord(wireBytes: envelope.bytes)
        } catch {
            throw InviteError(.badRecord, "the sealed agent record does not verify: \(error)")
        }
        guard record.did == did else {
            throw InviteError(.badRecord, "the sealed record is \(record.did)'s, not \(did)'s")
        }
        guard Exposure.declared(by: record) == .private else {
            throw InviteError(.badRecord, "the sealed record does not say private")
        }
        guard record.extensionValue(ofType: RecordExtension.inviteSlot) == slot.slotKey.rawRepresentation else {
            throw InviteError(.badRecord, "the sealed record is bound to another invite slot (replayed)")
        }
        guard record.sequence == sealed.sequence, record.issuedAt == sealed.issuedAt,
            record.expiresAt == sealed.expiresAt
        else {
            throw InviteError(.badRecord, "the sealed record's sequence or times differ from its envelope's")
        }
        return record
    }

    /// The agent record's bytes in an opened plaintext: `u16 length ‖ record ‖ zero padding`, every length checked.
    public static func recordBytes(fromPlaintext plaintext: [UInt8]) throws(InviteError) -> [UInt8] {
        guard plaintext.count >= 2 else { throw InviteError(.badRecord, "the sealed plaintext is empty") }
        let length = Int(plaintext[0]) << 8 | Int(plaintext[1])
        guard length <= plaintext.count - 2, length <= maximumRecordBytes else {
            throw InviteError(.badRecord, "the sealed plaintext claims \(length) bytes of \(plaintext.count - 2)")
        }
        guard plaintext[(2 + length)...].allSatisfy({ $0 == 0 }) else {
            throw InviteError(.badRecord, "the padding is not zero")
        }
        return Array(plaintext[2..<(2 + length)])
    }
}

extension AgentProfile {
    /// Signs this private profile's record for one invite slot (bound to it) and seals it.
    public func sealedRecord<R: RandomSource>(
        signedBy identity: AgentIdentity,
        slot: InviteSlot,
        sequence: UInt64,
        issuedAt: Timestamp,
        ttl: Duration,
        random: inout R
    ) throws -> SealedRecord {
        var profile = self
        profile.exposure = .private
        var contents = try profile.recordContents(signedBy: identity)
        // Sealing costs a little of the card's budget: compact it to what a sealed record leaves.
        contents.agentCard = try AgentProfile.signedCompactCard(
            card,
            identity: identity,
            budget: SealedAgentRecord.cardBudget
        )
        let record = try AgentRecord.signed(
            by: identity,
            sequence: sequence,
            issuedAt: issuedAt,
            ttl: ttl,
            agentCard: contents.agentCard,
            homeRelays: contents.homeRelays,
            addressHints: contents.addressHints,
            prekeyBundle: contents.prekeyBundle,
            extensions: contents.extensions
                + [RecordExtension(type: RecordExtension.inviteSlot, value: slot.slotKey.rawRepresentation)]
        )
        return try SealedAgentRecord.seal(record, slot: slot, random: &random)
    }
}
