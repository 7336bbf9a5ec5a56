import MeshCore
import Testing

@testable import Ratchet

@Suite struct HealingTests {
    @Test func lostStateIsRestoredByARateLimitedRehandshake() throws {
        var random = SeededRandom(seed: 41)
        var alice = Party(seed: 1)
        var bob = Party(seed: 2)
        var aliceSide = PeerSessions(remoteIdentity: bob.identity.publicKey)
        var bobSide = PeerSessions(remoteIdentity: alice.identity.publicKey)
        try aliceSide.startSession(identity: alice.identity, bundle: bob.bundle, random: &random)
        let hello = try aliceSide.encrypt(bytes("hello"), random: &random)
        #expect(
            try bobSide.receive(hello, identity: bob.identity, prekeys: &bob.prekeys, random: &random) == bytes("hello")
        )
        let reply = try bobSide.encrypt(bytes("hi"), random: &random)
        #expect(
            try aliceSide.receive(reply, identity: alice.identity, prekeys: &alice.prekeys, random: &random)
                == bytes("hi")
        )

        // Bob loses every session (a restored backup, a corrupt row).
        bobSide = PeerSessions(remoteIdentity: alice.identity.publicKey)
        let lost = try aliceSide.encrypt(bytes("are you there?"), random: &random)
        var healer = SessionHealer(minimumInterval: .seconds(60))
        let now = Timestamp(secondsSinceEpoch: 1_000)
        let error = #expect(throws: RatchetError.self) {
            _ = try bobSide.receive(lost, identity: bob.identity, prekeys: &bob.prekeys, random: &random)
        }
        let failure = healer.decryptionFailed(peer: alice.identity.publicKey, error: error!, now: now)
        let event = try #require(failure)
        #expect(event.action == .rehandshake)
        #expect(event.cause == .headerNotDecryptable)

        // A second failure within the interval is reported but suppressed.
        let again = healer.decryptionFailed(peer: alice.identity.publicKey, error: error!, now: now + .seconds(5))
        #expect(again?.action == .suppressed(until: now + .seconds(60)))

        // Bob re-handshakes to Alice's bundle; Alice accepts and both talk on the new session.
        try bobSide.startSession(identity: bob.identity, bundle: alice.bundle, random: &random)
        let heal = try bobSide.encrypt(bytes("lost my state"), random: &random)
        #expect(
            try aliceSide.receive(heal, identity: alice.identity, prekeys: &alice.prekeys, random: &random)
                == bytes("lost my state")
        )
        let resumed = try aliceSide.encrypt(bytes("welcome back"), random: &random)
        #expect(
            try bobSide.receive(resumed, identity: bob.identity, prekeys: &bob.prekeys, random: &random)
                == bytes("welcome back")
        )
        #expect(aliceSide.sessions.count == 2)
        #expect(
            healer.decryptionFailed(peer: alice.identity.publicKey, error: error!, now: now + .seconds(61))?.action
                == .rehandshake
        )
    }

    @Test func tamperingAndReplaysNeverTriggerARehandshake() {
        var healer = SessionHealer()
        let peer = Party(seed: 3).identity.publicKey
        for code in [
            RatchetError.Code.authenticationFailed, .duplicate, .malformed, .oversize, .invalidPrekeySignature,
        ] {
            #expect(healer.decryptionFailed(peer: peer, error: RatchetError(code, "x"), now: .zero) == nil)
        }
    }

    @Test func simultaneousInitiationConverges() throws {
        var random = SeededRandom(seed: 42)
        var alice = Party(seed: 1)
        var bob = Party(seed: 2)
        var aliceSide = PeerSessions(remoteIdentity: bob.identity.publicKey)
        var bobSide = PeerSessions(remoteIdentity: alice.identity.publicKey)
        try aliceSide.startSession(identity: alice.identity, bundle: bob.bundle, random: &random)
        try bobSide.startSession(identity: bob.identity, bundle: alice.bundle, random: &random)
        let fromAlice = try aliceSide.encrypt(bytes("a"), random: &random)
        let fromBob = try bobSide.encrypt(bytes("b"), random: &random)
        #expect(
            try bobSide.receive(fromAlice, identity: bob.identity, prekeys: &bob.prekeys, random: &random) == bytes("a")
        )
        #expect(
            try aliceSide.receive(fromBob, identity: alice.identity, prekeys: &alice.prekeys, random: &random)
                == bytes("b")
        )
        for round in 0..<3 {
            let a = try aliceSide.encrypt(bytes("a\(round)"), random: &random)
            #expect(
                try bobSide.receive(a, identity: bob.identity, prekeys: &bob.prekeys, random: &random)
                    == bytes("a\(round)")
            )
            let b = try bobSide.encrypt(bytes("b\(round)"), random: &random)
            #expect(
                try aliceSide.receive(b, identity: alice.identity, prekeys: &alice.prekeys, random: &random)
                    == bytes("b\(round)")
            )
        }
        #expect(aliceSide.active?.baseKey == bobSide.active?.baseKey)
    }
}
