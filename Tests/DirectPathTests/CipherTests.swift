import MeshCore
import Testing

@testable import DirectPath

/// The channel's AEAD choice: agreement, both ciphers end to end, and a disagreement that fails closed.
@Suite struct CipherTests {
    @Test func bothEndsAgreeOnTheInitiatorsFirstSharedChoice() {
        #expect(
            ChannelCipher.agree(initiator: [.aes256GCM, .xchacha20Poly1305], responder: [.xchacha20Poly1305])
                == .xchacha20Poly1305
        )
        #expect(
            ChannelCipher.agree(
                initiator: [.aes256GCM, .xchacha20Poly1305],
                responder: [.xchacha20Poly1305, .aes256GCM]
            ) == .aes256GCM
        )
        #expect(ChannelCipher.agree(initiator: [], responder: []) == .xchacha20Poly1305)
        #expect(
            ChannelCipher.parse(["chacha-from-the-future", "aes256gcm", "aes256gcm", "xchacha20poly1305"]) == [
                .aes256GCM, .xchacha20Poly1305,
            ]
        )
        #expect(ChannelCipher.supported.last == .xchacha20Poly1305, "XChaCha20-Poly1305 runs everywhere")
    }

    @Test(arguments: ChannelCipher.allCases)
    func messagesArriveUnderEitherCipherWithLossAndForgeriesDropped(cipher: ChannelCipher) throws {
        guard ChannelCipher.supported.contains(cipher) else {
            // No AES-NI here: the keys refuse the cipher instead of falling back silently.
            #expect(throws: CryptoError.self) { try SimulatedLink(seed: 1, cipher: cipher) }
            return
        }
        var link = try SimulatedLink(conditions: .init(loss: 0.05), seed: 81, cipher: cipher)
        var tampered = 0
        link.tap = { random, bytes in
            guard Double.random(in: 0..<1, using: &random) < 0.02 else { return bytes }
            tampered += 1
            var copy = bytes
            copy[copy.count - 1] ^= 0x40
            return copy
        }
        let messages = ReliabilityTests.messages(count: 120, seed: 82)
        for message in messages { try link.a.send(message) }
        #expect(link.run { $0.receivedByB.count >= messages.count })
        #expect(digest(link.receivedByB) == digest(messages))
        #expect(link.a.statistics.droppedForged + link.b.statistics.droppedForged == tampered)
        #expect(tampered > 0)
    }

    /// Ends that disagree on the cipher derive different keys: nothing is accepted, nothing is delivered.
    @Test func endsThatDisagreeOnTheCipherShareNothing() throws {
        var random = SeededRandom(seed: 83)
        let secret = random.secureBytes(count: 32)
        let alice = AgentIdentity.generate(using: &random).publicKey
        let bob = AgentIdentity.generate(using: &random).publicKey
        guard AES256GCM.isAvailable else {
            // Without AES-NI the AES side cannot exist at all: its keys refuse the cipher.
            #expect(throws: CryptoError.self) {
                try ChannelKeys(
                    sessionSecret: secret,
                    initiator: alice,
                    responder: bob,
                    context: [],
                    cipher: .aes256GCM
                )
            }
            return
        }
        let now = Timestamp(secondsSinceEpoch: 1_700_000_000)
        let aes = try ChannelKeys(
            sessionSecret: secret,
            initiator: alice,
            responder: bob,
            context: [],
            cipher: .aes256GCM
        )
        let chacha = try ChannelKeys(sessionSecret: secret, initiator: alice, responder: bob, context: [])
        #expect(aes.initiatorToResponder.copyBytes() != chacha.initiatorToResponder.copyBytes())
        var a = DirectChannel(keys: aes, isInitiator: true, localChannelID: 1, remoteChannelID: 2, now: now)
        var b = DirectChannel(keys: chacha, isInitiator: false, localChannelID: 2, remoteChannelID: 1, now: now)
        try a.send([1, 2, 3])
        var sent = 0
        while let datagram = a.pollTransmit(now: now) {
            sent += 1
            #expect(b.handleDatagram(datagram, now: now) == .dropped(.forged))
        }
        #expect(sent > 0)
        #expect(b.pollEvent() == nil)
    }
}
