import MeshCore
import Testing

@testable import Ratchet

@Suite struct X3DHTests {
    @Test func bothSidesAgreeWithAndWithoutOneTimePrekey() throws {
        for oneTime in [5, 0] {
            var random = SeededRandom(seed: 7)
            let alice = Party(seed: 1)
            let bob = Party(seed: 2, oneTimePrekeys: oneTime)
            let (agreement, header) = try X3DH.initiate(identity: alice.identity, bundle: bob.bundle, random: &random)
            #expect((header.oneTimePrekey != nil) == (oneTime > 0))
            let (response, signed) = try X3DH.respond(identity: bob.identity, prekeys: bob.prekeys, header: header)
            #expect(agreement.sharedSecret.constantTimeEquals(response.sharedSecret))
            #expect(agreement.associatedData == response.associatedData)
            #expect(
                agreement.associatedData == alice.identity.publicKey.rawRepresentation
                    + bob.identity.publicKey.rawRepresentation
            )
            #expect(signed.publicKey == bob.prekeys.signedPrekey.publicKey)
        }
    }

    @Test func bundleWithBadSignatureIsRejected() throws {
        var random = SeededRandom(seed: 3)
        let alice = Party(seed: 1)
        let bob = Party(seed: 2)
        let mallory = Party(seed: 9)
        let good = bob.bundle
        // Bob's identity with Mallory's signed prekey and signature.
        let forged = PrekeyBundle(
            identityKey: good.identityKey,
            signedPrekey: mallory.bundle.signedPrekey,
            signedPrekeySignature: mallory.bundle.signedPrekeySignature,
            oneTimePrekeys: good.oneTimePrekeys
        )
        #expect(throws: RatchetError(.invalidPrekeySignature, "the signed prekey's signature does not verify")) {
            _ = try X3DH.initiate(identity: alice.identity, bundle: forged, random: &random)
        }
        // A signature under another domain (the raw key, no label) is rejected too.
        let raw = bob.identity.signingKey.signature(forRaw: good.signedPrekey.rawRepresentation)
        let undomained = PrekeyBundle(
            identityKey: good.identityKey,
            signedPrekey: good.signedPrekey,
            signedPrekeySignature: raw,
            oneTimePrekeys: []
        )
        #expect(throws: RatchetError.self) { try undomained.verify() }
        try good.verify()
    }

    @Test func oneTimePrekeyIsUsedAtMostOnce() throws {
        var random = SeededRandom(seed: 4)
        let alice = Party(seed: 1)
        var bob = Party(seed: 2, oneTimePrekeys: 1)
        var session = try RatchetSession.initiate(identity: alice.identity, bundle: bob.bundle, random: &random)
        let first = try session.encrypt(bytes("one"), random: &random)
        _ = try RatchetSession.accept(identity: bob.identity, prekeys: &bob.prekeys, envelope: first, random: &random)
        #expect(bob.prekeys.oneTimePrekeys.isEmpty)
        // The same X3DH header again (a replay, or a second initiator that picked the same key) is refused.
        let error = #expect(throws: RatchetError.self) {
            _ = try RatchetSession.accept(
                identity: bob.identity,
                prekeys: &bob.prekeys,
                envelope: first,
                random: &random
            )
        }
        #expect(error?.code == .unknownPrekey)
        // With none left, X3DH runs on the signed prekey alone.
        #expect(bob.bundle.oneTimePrekeys.isEmpty)
        var second = try RatchetSession.initiate(identity: alice.identity, bundle: bob.bundle, random: &random)
        #expect(second.pendingInitialHeader?.oneTimePrekey == nil)
        let envelope = try second.encrypt(bytes("two"), random: &random)
        let (_, plaintext) = try RatchetSession.accept(
            identity: bob.identity,
            prekeys: &bob.prekeys,
            envelope: envelope,
            random: &random
        )
        #expect(plaintext == bytes("two"))
    }

    @Test func failedAcceptDoesNotBurnThePrekey() throws {
        var random = SeededRandom(seed: 5)
        let alice = Party(seed: 1)
        var bob = Party(seed: 2, oneTimePrekeys: 2)
        var session = try RatchetSession.initiate(identity: alice.identity, bundle: bob.bundle, random: &random)
        let envelope = try session.encrypt(bytes("x"), random: &random)
        var tampered = envelope.message.ciphertext
        tampered[0] ^= 1
        let bad = RatchetEnvelope(
            initialHeader: envelope.initialHeader,
            message: RatchetMessage(header: envelope.message.header, ciphertext: tampered)
        )
        #expect(throws: RatchetError.self) {
            _ = try RatchetSession.accept(identity: bob.identity, prekeys: &bob.prekeys, envelope: bad, random: &random)
        }
        #expect(bob.prekeys.oneTimePrekeys.count == 2)
        _ = try RatchetSession.accept(
            identity: bob.identity,
            prekeys: &bob.prekeys,
            envelope: envelope,
            random: &random
        )
        #expect(bob.prekeys.oneTimePrekeys.count == 1)
    }

    @Test func signedPrekeyRotatesOnScheduleAndKeepsThePreviousForItsGrace() throws {
        var random = SeededRandom(seed: 6)
        let bob = Party(seed: 2)
        var prekeys = bob.prekeys
        let day = Duration.seconds(86_400)
        let original = prekeys.signedPrekey.publicKey
        #expect(!prekeys.rotateIfDue(identity: bob.identity, now: .zero + day, random: &random))
        #expect(prekeys.rotateIfDue(identity: bob.identity, now: .zero + day * 7, random: &random))
        #expect(prekeys.signedPrekey.publicKey != original)
        #expect(prekeys.signedPrekey(matching: original) != nil)
        try prekeys.bundle(identity: bob.identity).verify()
        // Seven more days: rotated again, and the original is gone.
        #expect(prekeys.rotateIfDue(identity: bob.identity, now: .zero + day * 14, random: &random))
        #expect(prekeys.signedPrekey(matching: original) == nil)
    }

    @Test func bundleRoundTripsAndRejectsGarbage() throws {
        let bundle = Party(seed: 2).bundle
        let decoded = try PrekeyBundle(wireBytes: bundle.wireBytes)
        #expect(decoded == bundle)
        try decoded.verify()
        var wrongVersion = bundle.wireBytes
        wrongVersion[0] = 9
        #expect(throws: WireError.self) { _ = try PrekeyBundle(wireBytes: wrongVersion) }
        #expect(throws: WireError.self) { _ = try PrekeyBundle(wireBytes: Array(bundle.wireBytes.dropLast())) }
        #expect(throws: WireError.self) { _ = try PrekeyBundle(wireBytes: bundle.wireBytes + [0]) }
    }
}
