import MeshCore
import Testing

@testable import RelayFallback

@Suite struct AuthTests {
    let challenge = RelayChallenge(relayKey: Fixture.relay.publicKey, nonce: [UInt8](repeating: 0x11, count: 32))

    @Test func anAnswerVerifiesForItsChallenge() throws {
        let login = try RelayAuth.answer(challenge, identity: Fixture.alice, expectedRelay: Fixture.relay.publicKey)
        #expect(login.clientKey == Fixture.alice.publicKey)
        #expect(RelayAuth.verify(login, issued: challenge))
    }

    @Test func theSignatureCoversRelayNonceAndClientUnderTheRelayChallengeDomain() throws {
        let login = try RelayAuth.answer(challenge, identity: Fixture.alice, expectedRelay: nil)
        let message = Fixture.relay.nodeID.bytes + challenge.nonce + Fixture.alice.publicKey.rawRepresentation
        #expect(Fixture.alice.publicKey.isValidSignature(login.signature, for: message, domain: .relayChallenge))
        #expect(!Fixture.alice.publicKey.isValidSignature(login.signature, for: message, domain: .relayAdvert))
    }

    @Test func aReplayedAnswerFailsAgainstAFreshNonce() throws {
        let login = try RelayAuth.answer(challenge, identity: Fixture.alice, expectedRelay: nil)
        let fresh = RelayChallenge(relayKey: Fixture.relay.publicKey, nonce: [UInt8](repeating: 0x12, count: 32))
        #expect(!RelayAuth.verify(login, issued: fresh))
    }

    @Test func anAnswerForAnotherRelayFails() throws {
        let elsewhere = RelayChallenge(relayKey: Fixture.carol.publicKey, nonce: challenge.nonce)
        let login = try RelayAuth.answer(elsewhere, identity: Fixture.alice, expectedRelay: nil)
        #expect(!RelayAuth.verify(login, issued: challenge))
    }

    @Test func aClaimedKeyThatDidNotSignFails() throws {
        let login = try RelayAuth.answer(challenge, identity: Fixture.alice, expectedRelay: nil)
        let forged = RelayAuthentication(clientKey: Fixture.bob.publicKey, signature: login.signature)
        #expect(!RelayAuth.verify(forged, issued: challenge))
    }

    @Test func aClientRefusesToAnswerAnUnexpectedRelay() {
        #expect(throws: RelayRefusal.self) {
            try RelayAuth.answer(challenge, identity: Fixture.alice, expectedRelay: Fixture.carol.publicKey)
        }
    }
}
