import MeshCore
import Ratchet
import Testing

@testable import MeshPeer

@Suite struct KnockGateTests {
    let alice = Agent(seed: 1)
    let bob = Agent(seed: 2)
    let carol = Agent(seed: 3)
    let otherToken = try! KnockToken(bytes: [9, 9, 9, 9, 9, 9, 9, 9])

    func admit(_ gate: inout KnockGate, _ frame: KnockFrame, now: Timestamp = epoch) -> KnockRefusal.Code? {
        admit(&gate, MeshEnvelope.knock(frame).encoded(), now: now)
    }

    func admit(_ gate: inout KnockGate, _ bytes: [UInt8], now: Timestamp = epoch) -> KnockRefusal.Code? {
        switch gate.admit(bytes, ours: bob.key, tokens: [otherToken, token], difficulty: 8, now: now) {
        case .success: nil
        case .failure(let refusal): refusal.code
        }
    }

    /// A nonce that does not meet 8 bits for `frame`.
    func weakNonce(_ frame: KnockFrame) -> UInt64 {
        let digest = KnockWork.digest(frame.workBytes)
        var nonce: UInt64 = 0
        while KnockWork.meets(digest: digest, nonce: nonce, difficulty: 8) { nonce += 1 }
        return nonce
    }

    @Test func eachCheckRefusesItsFaultAndTheCheapestFaultNamesTheRefusal() throws {
        var random = SeededRandom(seed: 20)
        var gate = KnockGate()
        let good = try knock(from: alice, to: bob, difficulty: 8, random: &random)
        let forged = good.copy(signature: try knock(from: carol, to: bob, difficulty: 8, random: &random).signature)
        let toCarol = try knock(from: alice, to: carol, difficulty: 8, random: &random)
        let stale = try knock(from: alice, to: bob, token: otherToken.flipped, difficulty: 8, random: &random)
        let early = try knock(from: alice, to: bob, issuedAt: epoch + .seconds(601), difficulty: 8, random: &random)
        let late = try knock(from: alice, to: bob, issuedAt: epoch - .seconds(601), difficulty: 8, random: &random)
        let edge = try knock(from: alice, to: bob, issuedAt: epoch - .seconds(600), difficulty: 8, random: &random)
        let lazy = try knock(from: carol, to: bob, difficulty: 0, random: &random)
        let weak = lazy.copy(proofOfWork: weakNonce(lazy))

        let cases: [(String, [UInt8], KnockRefusal.Code?)] = [
            ("oversize", [UInt8](repeating: 1, count: KnockFrame.maximumEnvelopeByteCount + 1), .oversize),
            ("garbage", [1, 9, 0], .malformed),
            ("truncated", Array(MeshEnvelope.knock(good).encoded().dropLast()), .malformed),
            (
                "wrong recipient, stale token", MeshEnvelope.knock(toCarol.copy(token: otherToken.flipped)).encoded(),
                .wrongRecipient
            ),
            ("stale token, good signature", MeshEnvelope.knock(stale).encoded(), .staleToken),
            (
                "stale token, bad signature", MeshEnvelope.knock(good.copy(token: otherToken.flipped)).encoded(),
                .staleToken
            ),
            ("issued too far ahead", MeshEnvelope.knock(early).encoded(), .outsideWindow),
            (
                "issued too long ago, weak work", MeshEnvelope.knock(late.copy(proofOfWork: weakNonce(late))).encoded(),
                .outsideWindow
            ),
            ("weak work, bad signature", MeshEnvelope.knock(weak).encoded(), .insufficientWork),
            ("forged signature", MeshEnvelope.knock(forged).encoded(), .badSignature),
            ("good", MeshEnvelope.knock(good).encoded(), nil),
            ("replay", MeshEnvelope.knock(good).encoded(), .replay),
            ("replay with a forged signature", MeshEnvelope.knock(forged).encoded(), .replay),
            ("at the window's edge", MeshEnvelope.knock(edge).encoded(), nil),
        ]
        for (name, bytes, expected) in cases {
            let code = admit(&gate, bytes)
            #expect(code == expected, "\(name)")
        }
        #expect(gate.admitted == 2)
        #expect(
            gate.refusals == [
                .oversize: 1, .malformed: 2, .wrongRecipient: 1, .staleToken: 2, .outsideWindow: 2, .replay: 2,
                .insufficientWork: 1, .badSignature: 1, .senderRateLimited: 0, .globalRateLimited: 0,
            ]
        )
    }

    @Test func aSessionFrameIsNotAKnock() throws {
        var random = SeededRandom(seed: 21)
        var sessions = PeerSessions(remoteIdentity: bob.key)
        try sessions.startSession(identity: alice.identity, bundle: bob.bundle, random: &random)
        let ratchet = try sessions.encrypt(bytes("hi"), random: &random)
        var gate = KnockGate()
        let bytes = MeshEnvelope.session(
            SessionFrame(
                sender: alice.key,
                messageID: try MessageID(bytes: Array(repeating: 7, count: 16)),
                ratchet: ratchet
            )
        ).encoded()
        let result = gate.admit(bytes, ours: bob.key, tokens: [token], difficulty: 0, now: epoch)
        #expect(result == .failure(KnockRefusal(.malformed, "a session frame where a knock was expected")))
    }

    @Test func aFrameWithLessWorkThanAskedIsRefusedEvenWhenSigned() throws {
        var random = SeededRandom(seed: 22)
        var gate = KnockGate()
        let frame = try knock(from: alice, to: bob, difficulty: 0, random: &random)
        #expect(frame.verifySignature())
        let result = gate.admit(frame, ours: bob.key, tokens: [token], difficulty: 24, now: epoch)
        #expect(result == .failure(KnockRefusal(.insufficientWork, "proof of work below 24 bits")))
    }

    @Test func senderAndGlobalRatesRefuseInTurnAndRefill() throws {
        var random = SeededRandom(seed: 23)
        var gate = KnockGate(
            configuration: .init(
                senderRate: TokenRate(perSecond: 1.0 / 60, burst: 2),
                globalRate: TokenRate(perSecond: 1, burst: 3)
            )
        )
        let senders = [alice, alice, alice, carol, Agent(seed: 4), Agent(seed: 5)]
        var frames: [KnockFrame] = []
        for sender in senders { frames.append(try knock(from: sender, to: bob, difficulty: 8, random: &random)) }
        let results = frames.map { admit(&gate, $0) }
        // Alice spends her burst of 2; carol takes the last global token; then everyone waits for the global bucket.
        #expect(results == [nil, nil, .senderRateLimited, nil, .globalRateLimited, .globalRateLimited])

        // One second later the global bucket has one token: the refused knock (not remembered) gets in.
        let later = [
            admit(&gate, frames[4], now: epoch + .seconds(1)),
            admit(&gate, frames[5], now: epoch + .seconds(1)),
            // Alice's bucket refills one knock a minute; her refused knock was not remembered as seen.
            admit(&gate, frames[2], now: epoch + .seconds(30)),
            admit(&gate, frames[2], now: epoch + .seconds(61)),
        ]
        #expect(later == [nil, .globalRateLimited, .senderRateLimited, nil])
        #expect(gate.refusals[.senderRateLimited] == 2)
        #expect(gate.refusals[.globalRateLimited] == 3)
        #expect(gate.admitted == 5)
    }

    @Test func theReplayMemoryForgetsExpiredIDsFirstThenTheOldest() {
        var memory = ReplayMemory(capacity: 3)
        var random = SeededRandom(seed: 24)
        let ids = (0..<5).map { _ in MessageID.random(using: &random) }
        memory.insert(ids[0], expiry: epoch + .seconds(10), now: epoch)
        memory.insert(ids[1], expiry: epoch + .seconds(100), now: epoch)
        memory.insert(ids[2], expiry: epoch + .seconds(100), now: epoch)
        // Full: the oldest goes.
        memory.insert(ids[3], expiry: epoch + .seconds(100), now: epoch)
        #expect(!memory.contains(ids[0]))
        #expect(memory.contains(ids[1]) && memory.contains(ids[2]) && memory.contains(ids[3]))
        // Expired at the head: forgotten before anything else.
        memory.insert(ids[4], expiry: epoch + .seconds(200), now: epoch + .seconds(150))
        #expect(memory.count == 1)
        #expect(memory.contains(ids[4]))
    }

    @Test func theKeyedLimiterStaysBoundedAndForgetsTheOldestKey() {
        var limiter = KeyedRateLimiter<Int>(rate: TokenRate(perSecond: 0, burst: 1), capacity: 2)
        var results = [limiter.allow(1, now: epoch), limiter.allow(1, now: epoch), limiter.allow(2, now: epoch)]
        #expect(!limiter.wouldAllow(2, now: epoch))
        results.append(limiter.allow(3, now: epoch))  // key 1 forgotten
        #expect(limiter.trackedKeys == 2)
        results.append(limiter.allow(1, now: epoch))  // a fresh bucket; key 2 forgotten
        results.append(limiter.allow(2, now: epoch))
        #expect(results == [true, false, true, true, true, true])
        #expect(limiter.trackedKeys == 2)
    }
}

extension KnockToken {
    /// A different token.
    var flipped: KnockToken { try! KnockToken(bytes: bytes.map { $0 ^ 0xFF }) }
}
