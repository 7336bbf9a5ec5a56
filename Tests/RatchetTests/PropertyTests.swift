import MeshCore
import Testing

@testable import Ratchet

/// Random interleavings: both sides send at will, messages are reordered, dropped and replayed; every delivered
/// message opens to exactly what was sent, and every replay is refused without touching the state.
@Suite struct PropertyTests {
    struct InFlight {
        let envelope: RatchetEnvelope
        let plaintext: [UInt8]
    }

    static let generous = RatchetLimits(
        maximumSkip: 1_000,
        maximumStoredSkippedKeys: 5_000,
        maximumSkippedChains: 1_000
    )

    @Test(arguments: [true, false]) func randomInterleavingsReorderingDropsAndReplays(headerEncryption: Bool) throws {
        for seed in UInt64(0)..<12 {
            var random = SeededRandom(seed: 1_000 + seed)
            var (alice, bob) = try establish(headerEncryption: headerEncryption, limits: Self.generous, random: &random)
            var toBob: [InFlight] = []
            var toAlice: [InFlight] = []
            var delivered: [(InFlight, toAlice: Bool)] = []
            var counter = 0
            for _ in 0..<160 {
                counter += 1
                switch Int.random(in: 0..<10, using: &random) {
                case 0..<3:
                    let text = bytes("a\(seed)-\(counter)")
                    toBob.append(InFlight(envelope: try alice.encrypt(text, random: &random), plaintext: text))
                case 3..<6:
                    let text = bytes("b\(seed)-\(counter)")
                    toAlice.append(InFlight(envelope: try bob.encrypt(text, random: &random), plaintext: text))
                case 6, 7:
                    if !toBob.isEmpty {
                        let message = toBob.remove(at: Int.random(in: 0..<toBob.count, using: &random))
                        #expect(try bob.decrypt(message.envelope, random: &random) == message.plaintext)
                        delivered.append((message, false))
                    }
                    if !toAlice.isEmpty {
                        let message = toAlice.remove(at: Int.random(in: 0..<toAlice.count, using: &random))
                        #expect(try alice.decrypt(message.envelope, random: &random) == message.plaintext)
                        delivered.append((message, true))
                    }
                case 8:
                    // A drop: the message never arrives.
                    if !toBob.isEmpty { toBob.remove(at: Int.random(in: 0..<toBob.count, using: &random)) }
                default:
                    guard let (replay, toAliceSide) = delivered.randomElement(using: &random) else { break }
                    if toAliceSide {
                        let before = alice.stateBytes
                        #expect(throws: RatchetError.self) { _ = try alice.decrypt(replay.envelope, random: &random) }
                        #expect(alice.stateBytes == before)
                    } else {
                        let before = bob.stateBytes
                        #expect(throws: RatchetError.self) { _ = try bob.decrypt(replay.envelope, random: &random) }
                        #expect(bob.stateBytes == before)
                    }
                }
            }
            for message in toBob.shuffled(using: &random) {
                #expect(try bob.decrypt(message.envelope, random: &random) == message.plaintext)
            }
            for message in toAlice.shuffled(using: &random) {
                #expect(try alice.decrypt(message.envelope, random: &random) == message.plaintext)
            }
        }
    }

    @Test func bothSidesSendingAtOnceThenCrossing() throws {
        var random = SeededRandom(seed: 77)
        var (alice, bob) = try establish(random: &random)
        let fromAlice = try (0..<5).map { try alice.encrypt(bytes("a\($0)"), random: &random) }
        let fromBob = try (0..<5).map { try bob.encrypt(bytes("b\($0)"), random: &random) }
        for index in (0..<5).reversed() {
            #expect(try bob.decrypt(fromAlice[index], random: &random) == bytes("a\(index)"))
            #expect(try alice.decrypt(fromBob[index], random: &random) == bytes("b\(index)"))
        }
    }
}
