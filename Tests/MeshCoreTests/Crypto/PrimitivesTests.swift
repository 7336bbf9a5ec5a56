import MeshCore
import Testing

@Suite struct PrimitivesTests {
    @Test func seededRandomIsReproducibleAndSeedSensitive() {
        var first = SeededRandom(seed: 42)
        var second = SeededRandom(seed: 42)
        var other = SeededRandom(seed: 43)
        let a = first.bytes(count: 10_000)
        #expect(a == second.bytes(count: 10_000))
        #expect(a != other.bytes(count: 10_000))
        // Not a constant stream: all byte values show up in 10,000 draws.
        #expect(Set(a).count == 256)
    }

    @Test func systemRandomDiffers() {
        var random = SystemRandom()
        #expect(random.bytes(count: 32) != random.bytes(count: 32))
    }

    @Test func constantTimeEquality() {
        #expect(ConstantTime.equals([1, 2, 3], [1, 2, 3]))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2, 4]))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2]))
        #expect(ConstantTime.equals([UInt8](), [UInt8]()))
    }

    @Test func secretsNeverPrint() {
        let secret = SecureBytes([0xDE, 0xAD, 0xBE, 0xEF])
        #expect("\(secret)" == "SecureBytes(4 bytes, redacted)")
        #expect(!String(reflecting: secret).contains("de"))
        #expect(secret.copyBytes() == [0xDE, 0xAD, 0xBE, 0xEF])
    }

    @Test func zeroing() {
        var bytes: [UInt8] = [1, 2, 3]
        secureZero(&bytes)
        #expect(bytes == [0, 0, 0])
    }

    @Test func timestampArithmeticSaturates() {
        let now = Timestamp(secondsSinceEpoch: 1_700_000_000)
        #expect((now + .seconds(5)).secondsSinceEpoch == 1_700_000_005)
        #expect((now + .seconds(5)) - now == .seconds(5))
        let far = Timestamp(nanosecondsSinceEpoch: .max - 1)
        #expect((far + .seconds(10)).nanosecondsSinceEpoch == .max)
        #expect(Timestamp(secondsSinceEpoch: .max).nanosecondsSinceEpoch == .max)
    }

    @Test func manualClockAdvancesOnlyWhenTold() {
        let clock = ManualClock(start: Timestamp(secondsSinceEpoch: 100))
        #expect(clock.now().secondsSinceEpoch == 100)
        clock.advance(by: .milliseconds(1_500))
        #expect(clock.now().millisecondsSinceEpoch == 101_500)
    }
}
