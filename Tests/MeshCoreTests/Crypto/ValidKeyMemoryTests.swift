import Testing

@testable import MeshCore

/// The memory of keys that passed the point check: it answers exactly as the check does, stores only keys that
/// passed, and stays within its bound.
@Suite struct ValidKeyMemoryTests {
    static func key(_ seed: UInt64) -> [UInt8] {
        var random = SeededRandom(seed: seed)
        return Ed25519.PrivateKey(using: &random).publicKey.rawRepresentation
    }

    /// The identity point: small order, refused by the check.
    static let identityPoint = [UInt8(1)] + [UInt8](repeating: 0, count: 31)

    @Test func remembersOnlyKeysThatPass() {
        let memory = ValidKeyMemory(capacity: 8)
        let valid = Self.key(1)
        #expect(memory.isValidPoint(valid))
        #expect(memory.count == 1)
        #expect(memory.isValidPoint(valid))
        #expect(memory.count == 1)
        // Refused every time, and never stored.
        #expect(!memory.isValidPoint(Self.identityPoint))
        #expect(!memory.isValidPoint(Self.identityPoint))
        #expect(memory.count == 1)
    }

    @Test func staysWithinItsBound() {
        let memory = ValidKeyMemory(capacity: 3)
        for seed in UInt64(1)...10 {
            #expect(memory.isValidPoint(Self.key(seed)))
            #expect(memory.count <= 3)
        }
        // A key forgotten when the memory was emptied is checked again, with the same answer.
        #expect(memory.isValidPoint(Self.key(1)))
    }

    /// A raised bound holds more keys; a lower one given later changes nothing.
    @Test func theBoundCanBeRaisedNotLowered() {
        let memory = ValidKeyMemory(capacity: 3)
        memory.raiseCapacity(to: 6)
        memory.raiseCapacity(to: 2)
        #expect(memory.capacity == 6)
        for seed in UInt64(1)...6 { #expect(memory.isValidPoint(Self.key(seed))) }
        #expect(memory.count == 6)
        #expect(memory.isValidPoint(Self.key(7)))
        #expect(memory.count == 1)  // emptied at the bound, as before
    }

    /// Through the public initialiser: a key seen many times still passes, a bad one still throws after a good one
    /// was remembered.
    @Test func publicKeyInitialiserAnswersAsBefore() throws {
        let valid = Self.key(42)
        for _ in 0..<3 { #expect(try Ed25519.PublicKey(rawRepresentation: valid).rawRepresentation == valid) }
        #expect(throws: CryptoError.self) { try Ed25519.PublicKey(rawRepresentation: Self.identityPoint) }
        // Altered encodings: the initialiser agrees with a fresh check on each (most are refused).
        var refused = 0
        for flip in 0..<32 {
            var altered = valid
            altered[flip] ^= 0x55
            let accepted = (try? Ed25519.PublicKey(rawRepresentation: altered)) != nil
            #expect(accepted == ValidKeyMemory(capacity: 1).isValidPoint(altered))
            if !accepted { refused += 1 }
        }
        #expect(refused > 0)
    }
}
