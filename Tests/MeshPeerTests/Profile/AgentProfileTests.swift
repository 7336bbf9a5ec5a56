import Kademlia
import MeshCore
import MeshPeer
import Ratchet
import Testing

@Suite struct AgentProfileTests {
    let identity = ProfileFixture.identity(1)
    let limits = RecordLimits(maximumLifetime: .seconds(7_200), maximumClockSkew: .seconds(120))

    func record(_ profile: AgentProfile) throws -> AgentRecord {
        try profile.record(signedBy: identity, sequence: 9, issuedAt: ProfileFixture.start, ttl: .seconds(1_800))
    }

    @Test func aProfileBecomesAValidRecordAndReadsBack() throws {
        let (profile, _) = ProfileFixture.profile(identity, card: try ProfileFixture.ownerCard())
        let record = try record(profile)
        _ = try AgentRecordValidator().validate(record.envelope, now: ProfileFixture.start, limits: limits)
        #expect(record.prekeyBundle.count == 130)
        #expect(record.extensions == [RecordExtension(type: 1, value: profile.knockToken + [18])])
        let read = try AgentProfile.read(from: try AgentRecord(wireBytes: record.wireBytes))
        #expect(read.card == (try CardFile.parse(try AgentProfile.signedCompactCard(profile.card, identity: identity))))
        #expect(read.knockToken == profile.knockToken)
        #expect(read.knockDifficulty == 18)
        #expect(read.homeRelays == profile.homeRelays)
        #expect(read.prekeyBundle == profile.prekeyBundle)
        // The card's signature takes 323 of the record's 1,100 card bytes, so this three-skill card keeps its
        // first two skills in the record (decision 0080); the full card, served on request, keeps all three.
        #expect(profile.capabilities.starts(with: read.capabilities) && read.card.skills.count == 2)
    }

    func refusal(_ profile: AgentProfile) -> ProfileError? {
        do {
            _ = try record(profile)
            return nil
        } catch {
            return error as? ProfileError
        }
    }

    @Test func aFieldTooBigIsNamed() throws {
        let (profile, _) = ProfileFixture.profile(identity, card: try ProfileFixture.ownerCard())
        var relays = profile
        relays.homeRelays.append("wss://" + String(repeating: "r", count: AgentRecord.maximumRelayBytes))
        #expect(refusal(relays) == ProfileError(.tooLarge, field: "homeRelays[2]", "102 bytes; at most 96"))
        var many = profile
        many.homeRelays = Array(repeating: "wss://r.example", count: AgentRecord.maximumRelays + 1)
        #expect(refusal(many) == ProfileError(.tooLarge, field: "homeRelays", "5 relays; at most 4"))
        var token = profile
        token.knockToken = [1, 2, 3]
        #expect(refusal(token)?.field == "knockToken")
        var card = profile
        card.card.name = String(repeating: "N", count: 2_000)
        #expect(refusal(card)?.field == "card")
        #expect(refusal(card)?.code == .tooLarge)
    }

    @Test func bundlesWithOneTimePrekeysOrAnotherIdentityAreRefused() throws {
        var random = SeededRandom(seed: 5)
        let (profile, _) = ProfileFixture.profile(identity, card: try ProfileFixture.ownerCard())
        // The ratchet's default schedule: 20 one-time prekeys, 770 bytes (issue 11).
        let defaults = PrekeySecrets(identity: identity, now: ProfileFixture.start, random: &random)
        var withOneTime = profile
        withOneTime.prekeyBundle = defaults.bundle(identity: identity)
        #expect(withOneTime.prekeyBundle.wireBytes.count == 770)
        #expect(refusal(withOneTime)?.field == "prekeyBundle")
        var other = profile
        other.prekeyBundle = ProfileFixture.profile(ProfileFixture.identity(2), card: profile.card).0.prekeyBundle
        #expect(refusal(other)?.code == .badSignature)
        // Read refuses a record whose bundle another identity signed.
        let foreign = try AgentRecord.signed(
            by: identity,
            sequence: 1,
            issuedAt: ProfileFixture.start,
            ttl: .seconds(60),
            agentCard: try AgentProfile.signedCompactCard(profile.card, identity: identity),
            prekeyBundle: other.prekeyBundle.wireBytes,
            extensions: [RecordExtension(type: 1, value: [UInt8](repeating: 0, count: 9))]
        )
        let error = #expect(throws: ProfileError.self) { try AgentProfile.read(from: foreign) }
        #expect(error?.code == .badSignature)
        #expect(error?.field == "prekeyBundle")
    }

    @Test func readNamesWhatIsMissing() throws {
        let (profile, _) = ProfileFixture.profile(identity, card: try ProfileFixture.ownerCard())
        var noKnock = try record(profile)
        noKnock.extensions = [RecordExtension(type: 0x4000, value: [1])]
        #expect(throws: ProfileError(.missingField, field: "extensions", "no knock policy (type 1)")) {
            try AgentProfile.read(from: noKnock)
        }
        var badCard = try record(profile)
        badCard.agentCard = Array("{\"name\":\"x\"}".utf8)
        let error = #expect(throws: ProfileError.self) { try AgentProfile.read(from: badCard) }
        #expect(error?.field.hasPrefix("agentCard.") == true)
    }

    @Test func theServedCardCarriesMeshPeerDataInA2AExtensions() throws {
        let (profile, _) = ProfileFixture.profile(identity, card: try ProfileFixture.ownerCard())
        let served = profile.servedCard(did: identity.did)
        let extensions = try #require(served.capabilities.extensions)
        #expect(
            extensions.map(\.uri) == [
                "https://lexis.example.com/ext/glossary/v1", "urn:meshpeer:did:v1", "urn:meshpeer:knock:v1",
                "urn:meshpeer:relays:v1",
            ]
        )
        #expect(extensions[1].params == ["did": .string(identity.did)])
        #expect(extensions[2].params == ["token": .string("a1b2c3d4e5f60718"), "difficulty": .number(18)])
        #expect(extensions[3].params?["relays"]?.arrayValue?.count == 2)
        // Served again, it replaces rather than repeats its own entries.
        var again = profile
        again.card = served
        #expect(again.servedCard(did: identity.did) == served)
        #expect(try CardFile.parse(served.jsonBytes()) == served)
    }
}
