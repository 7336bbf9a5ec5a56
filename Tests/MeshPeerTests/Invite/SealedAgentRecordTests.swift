import Kademlia
import MeshCore
import MeshPeer
import Testing

/// Sealing a private agent's record for one invite, and what an invite holder checks when opening it.
@Suite struct SealedAgentRecordTests {
    let identity = ProfileFixture.identity(1)
    let limits = RecordLimits(maximumLifetime: .seconds(7_200), maximumClockSkew: .seconds(120))
    let now = ProfileFixture.start

    func slot(_ seed: UInt64) -> InviteSlot {
        var random = SeededRandom(seed: seed)
        return InviteSlot(secret: random.secureBytes(count: Invite.secretByteCount), did: identity.did)
    }

    func sealed(_ slot: InviteSlot, sequence: UInt64 = 9) throws -> SealedRecord {
        let (profile, _) = ProfileFixture.profile(identity, card: try ProfileFixture.ownerCard())
        var random = SeededRandom(seed: 5)
        return try profile.sealedRecord(
            signedBy: identity,
            slot: slot,
            sequence: sequence,
            issuedAt: now,
            ttl: .seconds(1_800),
            random: &random
        )
    }

    func open(_ sealed: SealedRecord, _ slot: InviteSlot, did: String? = nil) throws(InviteError) -> AgentRecord {
        try SealedAgentRecord.open(sealed, slot: slot, did: did ?? identity.did, now: now, limits: limits)
    }

    @Test func anInviteHolderOpensTheRecordAndAStorerSeesNoCard() throws {
        let slot = slot(1)
        let sealed = try sealed(slot)
        _ = try SealedRecordValidator().validate(sealed.envelope, now: now, limits: limits)
        #expect(sealed.key == slot.key)
        let record = try open(sealed, slot)
        #expect(record.did == identity.did)
        #expect(record.sequence == 9)
        #expect(Exposure.declared(by: record) == .private)
        let profile = try AgentProfile.read(from: record)
        #expect(profile.exposure == .private)
        #expect(profile.card.name == "Lexis Legal Translator")
        // Nothing readable travels: not the name, not the DID, not the relays, not the DID's key.
        let stored = sealed.envelope.bytes
        for secret in ["Lexis", identity.did, "relay-a.example.net"] {
            #expect(!stored.contains(subsequence: Array(secret.utf8)))
        }
        #expect(!stored.contains(subsequence: identity.publicKey.rawRepresentation))
        // Padded to 256-byte steps so its length says little.
        #expect(
            (sealed.ciphertext.count - 16) % 256 == 0
                || sealed.ciphertext.count - 16 == SealedAgentRecord.maximumPlaintextBytes
        )
    }

    @Test func anotherInviteCannotOpenItAndACopyUnderAnotherSlotIsRefused() throws {
        let (a, b) = (slot(1), slot(2))
        let sealedForA = try sealed(a)
        #expect(throws: InviteError.self) { try open(sealedForA, b) }
        // A holder of invite A re-seals the DID-signed record it opened under a slot it controls (B): the record
        // inside names slot A, so a finder through B refuses it.
        let inner = try open(sealedForA, a)
        var random = SeededRandom(seed: 9)
        let replayed = try SealedAgentRecord.seal(inner, slot: b, random: &random)
        do {
            _ = try open(replayed, b)
            Issue.record("a record bound to another slot was accepted")
        } catch {
            #expect(error.code == .badRecord)
            #expect(error.reason.contains("another invite slot"))
        }
        // The record under the right slot but for another DID (the invite names agent 1).
        #expect(throws: InviteError.self) { try open(sealedForA, a, did: ProfileFixture.identity(2).did) }
    }

    @Test func alteredSealedRecordsAreRefused() throws {
        let slot = slot(1)
        let original = try sealed(slot)
        var flipped = original
        flipped.ciphertext[10] ^= 1
        #expect(throws: InviteError.self) { try open(flipped, slot) }
        // A newer outer sequence around an older inner record: the AEAD's header binds them.
        var resequenced = original
        resequenced.sequence += 1
        #expect(throws: InviteError.self) { try open(resequenced, slot) }
        // Expired inside.
        #expect(throws: InviteError.self) {
            try SealedAgentRecord.open(
                original,
                slot: slot,
                did: identity.did,
                now: now + .seconds(1_801),
                limits: limits
            )
        }
    }

    @Test func theLargestPrivateRecordFitsOneSealedRecord() throws {
        // Every field at its maximum with the private card budget, plus the exposure and slot extensions.
        let slot = slot(1)
        let record = try AgentRecord.signed(
            by: identity,
            sequence: 1,
            issuedAt: now,
            ttl: .seconds(60),
            agentCard: [UInt8](repeating: 0x20, count: SealedAgentRecord.cardBudget),
            homeRelays: [String](repeating: String(repeating: "r", count: AgentRecord.maximumRelayBytes), count: 4),
            addressHints: [[UInt8]](repeating: [UInt8](repeating: 1, count: AgentRecord.maximumHintBytes), count: 4),
            prekeyBundle: [UInt8](repeating: 2, count: AgentRecord.maximumPrekeyBundleBytes),
            extensions: [
                RecordExtension(type: 1, value: [UInt8](repeating: 3, count: AgentRecord.maximumExtensionBytes - 4))
            ]
        )
        #expect(record.wireBytes.count <= SealedAgentRecord.maximumRecordBytes)
        var random = SeededRandom(seed: 1)
        let sealed = try SealedAgentRecord.seal(record, slot: slot, random: &random)
        #expect(sealed.wireBytes.count <= RecordEnvelope.maximumByteCount)
        #expect(SealedAgentRecord.cardBudget >= 900)
    }
}

extension Array where Element == UInt8 {
    fileprivate func contains(subsequence needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return false }
        return (0...(count - needle.count)).contains { self[$0..<($0 + needle.count)].elementsEqual(needle) }
    }
}
