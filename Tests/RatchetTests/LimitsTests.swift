import MeshCore
import Testing

@testable import Ratchet

@Suite struct LimitsTests {
    static let small = RatchetLimits(maximumSkip: 10, maximumStoredSkippedKeys: 15, maximumSkippedChains: 2)

    @Test(arguments: [true, false]) func aHeaderCannotForceMoreThanMaxSkipDerivations(headerEncryption: Bool) throws {
        var random = SeededRandom(seed: 21)
        var (alice, bob) = try establish(headerEncryption: headerEncryption, limits: Self.small, random: &random)
        let messages = try (1...12).map { try alice.encrypt(bytes("m\($0)"), random: &random) }
        // Bob has received message 0; message 12 (N = 12) would need 11 skipped keys.
        let before = bob.stateBytes
        let error = #expect(throws: RatchetError.self) { _ = try bob.decrypt(messages[11], random: &random) }
        #expect(error?.code == .tooManySkipped)
        #expect(bob.stateBytes == before)
        // N = 11 needs exactly 10: allowed.
        #expect(try bob.decrypt(messages[10], random: &random) == bytes("m11"))
        #expect(bob.ratchet.storedSkippedKeyCount == 10)
    }

    @Test func theBudgetCountsTheOldChainAndTheNewOneTogether() throws {
        var random = SeededRandom(seed: 22)
        var (alice, bob) = try establish(limits: Self.small, random: &random)
        let reply = try bob.encrypt(bytes("r"), random: &random)
        let old = try (1...6).map { try alice.encrypt(bytes("o\($0)"), random: &random) }
        _ = old
        _ = try alice.decrypt(reply, random: &random)
        // Alice's new chain: PN = 7 (6 unseen by Bob) and N = 5 → 6 + 5 = 11 > 10.
        let new = try (0...5).map { try alice.encrypt(bytes("n\($0)"), random: &random) }
        let error = #expect(throws: RatchetError.self) { _ = try bob.decrypt(new[5], random: &random) }
        #expect(error?.code == .tooManySkipped)
        #expect(try bob.decrypt(new[4], random: &random) == bytes("n4"))
    }

    @Test func storedSkippedKeysAreCappedOldestFirst() throws {
        var random = SeededRandom(seed: 23)
        let limits = RatchetLimits(maximumSkip: 10, maximumStoredSkippedKeys: 15, maximumSkippedChains: 8)
        var (alice, bob) = try establish(limits: limits, random: &random)
        var lost: [RatchetEnvelope] = []
        for round in 0..<3 {
            let batch = try (0..<8).map { try alice.encrypt(bytes("\(round)-\($0)"), random: &random) }
            lost.append(batch[0])
            _ = try bob.decrypt(batch[7], random: &random)
            #expect(bob.ratchet.storedSkippedKeyCount <= 15)
            _ = try alice.decrypt(try bob.encrypt(bytes("ack"), random: &random), random: &random)
        }
        #expect(bob.ratchet.storedSkippedKeyCount == 15)
        // The very first skipped key was deleted; the newest ones survive.
        #expect(throws: RatchetError.self) { _ = try bob.decrypt(lost[0], random: &random) }
        #expect(try bob.decrypt(lost[2], random: &random) == bytes("2-0"))
    }

    @Test func skippedChainsAreCapped() throws {
        var random = SeededRandom(seed: 24)
        var (alice, bob) = try establish(limits: Self.small, random: &random)
        var lost: [RatchetEnvelope] = []
        for round in 0..<3 {
            let batch = try (0..<2).map { try alice.encrypt(bytes("\(round)-\($0)"), random: &random) }
            lost.append(batch[0])
            _ = try bob.decrypt(batch[1], random: &random)
            _ = try alice.decrypt(try bob.encrypt(bytes("ack"), random: &random), random: &random)
        }
        // Three chains had a skipped key; only the newest two are kept.
        #expect(bob.ratchet.storedSkippedKeyCount == 2)
        let error = #expect(throws: RatchetError.self) { _ = try bob.decrypt(lost[0], random: &random) }
        #expect(error?.code == .headerNotDecryptable)
        #expect(try bob.decrypt(lost[1], random: &random) == bytes("1-0"))
        #expect(try bob.decrypt(lost[2], random: &random) == bytes("2-0"))
    }
}
