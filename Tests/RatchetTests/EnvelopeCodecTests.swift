import MeshCore
import Testing

@testable import Ratchet

@Suite struct EnvelopeCodecTests {
    @Test func roundTripsBothKinds() throws {
        var random = SeededRandom(seed: 31)
        var (alice, bob) = try establish(random: &random)
        let initial = try alice.encrypt(bytes("i"), random: &random)
        #expect(initial.initialHeader != nil)
        #expect(try RatchetEnvelope.decode(initial.wireBytes) == initial)
        let plain = try bob.encrypt(bytes("p"), random: &random)
        #expect(plain.initialHeader == nil)
        #expect(try RatchetEnvelope.decode(plain.wireBytes) == plain)
    }

    @Test func everyTruncationAndExtensionIsMalformed() throws {
        var random = SeededRandom(seed: 32)
        var (alice, _) = try establish(random: &random)
        let wire = try alice.encrypt(bytes("truncate me"), random: &random).wireBytes
        for length in 0..<wire.count {
            let error = #expect(throws: RatchetError.self) {
                _ = try RatchetEnvelope.decode(Array(wire.prefix(length)))
            }
            #expect(error?.code == .malformed)
        }
        #expect(throws: RatchetError.self) { _ = try RatchetEnvelope.decode(wire + [0]) }
    }

    @Test func oversizeLengthsAreRefusedBeforeAllocation() throws {
        var writer = WireWriter()
        writer.write(UInt8(1))
        writer.write(UInt8(1))
        writer.writeLengthPrefixed([UInt8](repeating: 0, count: 80), .uint8)
        writer.write(UInt32.max)
        let error = #expect(throws: RatchetError.self) { _ = try RatchetEnvelope.decode(writer.bytes) }
        #expect(error?.code == .malformed)
        #expect(error?.reason.contains("limit") == true)
    }

    @Test func badVersionKindAndHeaderLength() {
        for bad: [UInt8] in [[2, 1], [1, 3], [1, 1, 41] + [UInt8](repeating: 0, count: 41) + [0, 0, 0, 16]] {
            #expect(throws: RatchetError.self) {
                _ = try RatchetEnvelope.decode(bad + [UInt8](repeating: 0, count: 16))
            }
        }
    }

    @Test func randomGarbageNeverTraps() {
        var random = SeededRandom(seed: 33)
        for _ in 0..<2_000 {
            let garbage = random.bytes(count: Int.random(in: 0..<300, using: &random))
            #expect(throws: RatchetError.self) { _ = try RatchetEnvelope.decode(garbage) }
        }
    }
}
