import Foundation
import Kademlia
import MeshCore
import MeshPeer
import Testing

/// A record's card must carry its own A2A signature by the record's DID: `AgentProfile.read` (and so discovery,
/// knocks and the indexer's reading of records) refuses an unsigned card, as an older node would publish, and a
/// card signed by anyone else, naming the reason (decision 0080).
@Suite struct CardSignatureRecordTests {
    let alice = ProfileFixture.identity(1)
    let mallory = ProfileFixture.identity(2)

    /// A record signed by Alice (so the DHT accepts it) whose card bytes are `card`.
    func record(card: [UInt8]) throws -> AgentRecord {
        let (profile, _) = ProfileFixture.profile(alice, card: try ProfileFixture.ownerCard())
        var contents = try profile.recordContents(signedBy: alice)
        contents.agentCard = card
        return try AgentRecord.signed(
            by: alice,
            sequence: 1,
            issuedAt: ProfileFixture.start,
            ttl: .seconds(60),
            agentCard: contents.agentCard,
            homeRelays: contents.homeRelays,
            addressHints: contents.addressHints,
            prekeyBundle: contents.prekeyBundle,
            extensions: contents.extensions
        )
    }

    func refusal(_ record: AgentRecord) -> ProfileError? {
        do {
            _ = try AgentProfile.read(from: record)
            return nil
        } catch {
            return error
        }
    }

    @Test func aRecordsOwnSignedCardReadsBack() throws {
        let card = AgentCard.defaultCard(name: "alice", did: alice.did)
        let read = try AgentProfile.read(
            from: try record(card: try AgentProfile.signedCompactCard(card, identity: alice))
        )
        #expect(read.card.name == "alice")
        #expect(read.card.signatures?.count == 1)
    }

    @Test func theServedFullCardIsSignedToo() throws {
        let (profile, _) = ProfileFixture.profile(alice, card: try ProfileFixture.ownerCard())
        let served = try profile.signedServedCard(identity: alice)
        try AgentCardSignature.verify(card: served, did: alice.did)
        #expect(served["skills"]?.arrayValue?.count == 3, "the full card keeps every skill")
        let extensions = served["capabilities"]?["extensions"]?.arrayValue ?? []
        #expect(extensions.contains { $0["uri"] == .string(AgentProfile.didExtensionURI) })
        #expect(throws: CardSignatureError.self) { try AgentCardSignature.verify(card: served, did: mallory.did) }
    }

    /// Writes the signed full and compact owner cards to `MESHPEER_CARD_JWS_OUT` (with the DID in `did.txt`) for
    /// scripts/test.d/42-a2a-card-jws.sh, which checks them with the A2A SDK, jwcrypto and rfc8785.
    @Test func signedCardsForTheInteropCheck() throws {
        let (profile, _) = ProfileFixture.profile(alice, card: try ProfileFixture.ownerCard())
        let served = try JCS.canonicalize(try profile.signedServedCard(identity: alice))
        let compact = try AgentProfile.signedCompactCard(profile.card, identity: alice)
        for bytes in [served, compact] { try AgentCardSignature.verify(cardBytes: bytes, did: alice.did) }
        guard let folder = ProcessInfo.processInfo.environment["MESHPEER_CARD_JWS_OUT"] else { return }
        let url = URL(fileURLWithPath: folder)
        try Data(served).write(to: url.appendingPathComponent("owner-served-signed.json"))
        try Data(compact).write(to: url.appendingPathComponent("owner-compact-signed.json"))
        try Data(alice.did.utf8).write(to: url.appendingPathComponent("did.txt"))
    }

    @Test func anUnsignedCardIsRefused() throws {
        let unsigned = try AgentCard.defaultCard(name: "alice", did: alice.did).compact(budget: 1_100)
        let error = refusal(try record(card: unsigned))
        #expect(error?.code == .badSignature && error?.field == "agentCard.signatures")
        #expect(error?.reason.contains("missing-signature") == true)
    }

    @Test func aCardSignedByAnotherDIDIsRefused() throws {
        let card = AgentCard.defaultCard(name: "alice", did: alice.did)
        let error = refusal(try record(card: try AgentProfile.signedCompactCard(card, identity: mallory)))
        #expect(error?.code == .badSignature)
        #expect(error?.reason.contains("kid-names-another-did") == true)
    }

    @Test func aCardEditedAfterSigningIsRefused() throws {
        let card = AgentCard.defaultCard(name: "alice", did: alice.did)
        let signed = try AgentProfile.signedCompactCard(card, identity: alice)
        let edited = Array(
            String(decoding: signed, as: UTF8.self).replacingOccurrences(of: "alice", with: "alicf").utf8
        )
        let error = refusal(try record(card: edited))
        #expect(error?.reason.contains("signature-mismatch") == true)
        let duplicated = Array(#"{"name":"a","name":"b"}"#.utf8)
        #expect(refusal(try record(card: duplicated))?.reason.contains("malformed-card") == true)
    }
}
