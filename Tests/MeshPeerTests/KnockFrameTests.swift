import MeshCore
import Ratchet
import Testing

@testable import MeshPeer

@Suite struct KnockFrameTests {
    @Test func aKnockIsSignedAndMeetsTheWorkItWasMadeFor() throws {
        var random = SeededRandom(seed: 10)
        let alice = Agent(seed: 1)
        var bob = Agent(seed: 2)
        let frame = try knock(from: alice, to: bob, difficulty: 8, random: &random)
        #expect(frame.verifySignature())
        #expect(frame.meetsWork(0))
        #expect(frame.meetsWork(8))
        #expect(frame.sender == alice.key)
        #expect(frame.recipient == bob.key)
        #expect(frame.issuedAt == epoch)
        #expect(frame.sealed.initialHeader?.oneTimePrekey == nil)

        // The recipient opens the sealed purpose with its signed prekey alone.
        var sessions = PeerSessions(remoteIdentity: alice.key)
        let plaintext = try sessions.receive(
            frame.sealed,
            identity: bob.identity,
            prekeys: &bob.prekeys,
            random: &random
        )
        guard case .knock(let body) = try SessionPayload.decode(plaintext) else {
            Issue.record("not a knock body")
            return
        }
        #expect(body.purpose == "translate a contract")
    }

    @Test func difficultyZeroAcceptsAnyNonce() throws {
        var random = SeededRandom(seed: 11)
        let frame = try knock(from: Agent(seed: 1), to: Agent(seed: 2), difficulty: 0, random: &random)
        #expect(frame.meetsWork(0))
        #expect(frame.verifySignature())
        #expect(frame.copy(proofOfWork: frame.proofOfWork &+ 1).meetsWork(0))
    }

    @Test func workIsBoundToEveryFieldButTheSignature() throws {
        var random = SeededRandom(seed: 12)
        let frame = try knock(from: Agent(seed: 1), to: Agent(seed: 2), difficulty: 8, random: &random)
        let digest = KnockWork.digest(frame.workBytes)
        #expect(KnockWork.leadingZeroBits(KnockWork.attempt(digest: digest, nonce: frame.proofOfWork)) >= 8)
        // A different issue time is different work: 8 bits hold for it with probability 1/256.
        let moved = frame.copy(issuedAt: frame.issuedAt + .milliseconds(1))
        #expect(KnockWork.digest(moved.workBytes) != digest)
        #expect(!moved.verifySignature())
    }

    @Test func tamperingBreaksTheSignature() throws {
        var random = SeededRandom(seed: 13)
        let frame = try knock(from: Agent(seed: 1), to: Agent(seed: 2), random: &random)
        var encoded = MeshEnvelope.knock(frame).encoded()
        encoded[2 + 16 + 64] ^= 1  // first token byte
        guard case .knock(let tampered) = try MeshEnvelope.decode(encoded) else {
            Issue.record("not a knock")
            return
        }
        #expect(!tampered.verifySignature())
        #expect(KnockWork.leadingZeroBits([0, 0, 0x10]) == 19)
        #expect(KnockWork.leadingZeroBits([0xFF]) == 0)
        #expect(KnockWork.leadingZeroBits([0, 0]) == 16)
    }

    @Test func aKnockCarriesAValidIntentAndAnInitialEnvelopeFromItsSender() throws {
        var random = SeededRandom(seed: 14)
        let alice = Agent(seed: 1)
        let frame = try knock(from: alice, to: Agent(seed: 2), random: &random)
        var bad = MeshEnvelope.knock(frame.copy(intent: "not an intent")).encoded()
        #expect(throws: WireError.self) { try MeshEnvelope.decode(bad) }
        bad = MeshEnvelope.knock(frame.copy(sender: Agent(seed: 3).key)).encoded()
        let other = #expect(throws: WireError.self) { try MeshEnvelope.decode(bad) }
        #expect(other?.code == .invalidValue)
    }

    @Test func theLargestKnockFitsItsBounds() throws {
        var random = SeededRandom(seed: 15)
        let intent = "x-" + String(repeating: "v", count: 30) + "." + String(repeating: "n", count: 31)
        #expect(intent.utf8.count == KnockFrame.maximumIntentByteCount)
        let frame = try knock(
            from: Agent(seed: 1),
            to: Agent(seed: 2),
            body: largestKnockBody(),
            intent: intent,
            random: &random
        )
        #expect(frame.sealed.wireBytes.count <= KnockFrame.maximumSealedByteCount)
        let encoded = MeshEnvelope.knock(frame).encoded()
        #expect(encoded.count <= KnockFrame.maximumEnvelopeByteCount)
        #expect(encoded.count == 2 + KnockFrame.fixedByteCount + intent.utf8.count + frame.sealed.wireBytes.count)
        #expect(try MeshEnvelope.decode(encoded) == .knock(frame))
    }
}

extension KnockFrame {
    /// The same frame with fields replaced and the signature kept (so it no longer verifies).
    func copy(
        sender: Ed25519.PublicKey? = nil,
        recipient: Ed25519.PublicKey? = nil,
        token: KnockToken? = nil,
        issuedAt: Timestamp? = nil,
        intent: String? = nil,
        proofOfWork: UInt64? = nil,
        signature: Ed25519.Signature? = nil
    ) -> KnockFrame {
        KnockFrame(
            knockID: knockID,
            sender: sender ?? self.sender,
            recipient: recipient ?? self.recipient,
            token: token ?? self.token,
            issuedAt: issuedAt ?? self.issuedAt,
            intent: intent ?? self.intent,
            proofOfWork: proofOfWork ?? self.proofOfWork,
            sealed: sealed,
            signature: signature ?? self.signature
        )
    }
}
