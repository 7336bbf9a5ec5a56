import MeshCore
import Testing

@testable import Ratchet

@Suite struct StateCodecTests {
    @Test(arguments: [true, false]) func aSessionSurvivesARestartAtAnyPoint(headerEncryption: Bool) throws {
        var random = SeededRandom(seed: 51)
        var (alice, bob) = try establish(headerEncryption: headerEncryption, random: &random)
        var pending: [RatchetEnvelope] = []
        for step in 0..<12 {
            // Restart one side or the other: encode, drop the value, decode.
            alice = try RatchetSession(decodingState: alice.encodedState())
            pending.append(try alice.encrypt(bytes("a\(step)"), random: &random))
            bob = try RatchetSession(decodingState: bob.encodedState())
            if step % 3 == 2 {
                for (offset, envelope) in pending.enumerated().reversed() {
                    #expect(
                        try bob.decrypt(envelope, random: &random) == bytes("a\(step - pending.count + 1 + offset)")
                    )
                }
                pending = []
                let reply = try bob.encrypt(bytes("b\(step)"), random: &random)
                alice = try RatchetSession(decodingState: alice.encodedState())
                #expect(try alice.decrypt(reply, random: &random) == bytes("b\(step)"))
            }
        }
    }

    @Test func corruptOrTruncatedStateIsATypedError() throws {
        var random = SeededRandom(seed: 52)
        let (alice, _) = try establish(random: &random)
        let bytes = alice.encodedState().copyBytes()
        for cut in [0, 1, 40, bytes.count - 1] {
            let error = #expect(throws: RatchetError.self) {
                _ = try RatchetSession(decodingState: SecureBytes(bytes.prefix(cut)))
            }
            #expect(error?.code == .corruptState)
        }
        var wrongVersion = bytes
        wrongVersion[0] = 99
        #expect(throws: RatchetError.self) { _ = try RatchetSession(decodingState: SecureBytes(wrongVersion)) }
    }

    @Test func anInconsistentStateIsATypedErrorNotATrap() throws {
        var random = SeededRandom(seed: 54)
        var (alice, bob) = try establish(random: &random)
        let envelope = try alice.encrypt(bytes("x"), random: &random)
        alice.ratchet.sendingHeaderKey = nil
        let sendError = #expect(throws: RatchetError.self) { _ = try alice.encrypt(bytes("y"), random: &random) }
        #expect(sendError?.code == .corruptState)
        bob.ratchet.receivingChainKey = nil
        #expect(throws: RatchetError.self) { _ = try bob.decrypt(envelope, random: &random) }
    }

    @Test func prekeySecretsRoundTrip() throws {
        var random = SeededRandom(seed: 53)
        let bob = Party(seed: 2)
        var prekeys = bob.prekeys
        prekeys.rotateIfDue(identity: bob.identity, now: .zero + .seconds(8 * 86_400), random: &random)
        let restored = try PrekeySecrets(decodingState: prekeys.encodedState(), schedule: prekeys.schedule)
        #expect(restored.bundle(identity: bob.identity) == prekeys.bundle(identity: bob.identity))
        #expect(restored.previousSignedPrekey?.publicKey == prekeys.previousSignedPrekey?.publicKey)
        #expect(restored.signedPrekey.createdAt == prekeys.signedPrekey.createdAt)
    }
}
