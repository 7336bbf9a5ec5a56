import MeshCore
import Testing

@testable import Ratchet

@Suite struct DoubleRatchetTests {
    @Test(arguments: [true, false]) func pingPongWithRatchetSteps(headerEncryption: Bool) throws {
        var random = SeededRandom(seed: 11)
        var (alice, bob) = try establish(headerEncryption: headerEncryption, random: &random)
        for round in 0..<5 {
            let toBob = try alice.encrypt(bytes("a\(round)"), random: &random)
            #expect(try bob.decrypt(toBob, random: &random) == bytes("a\(round)"))
            let toAlice = try bob.encrypt(bytes("b\(round)"), random: &random)
            #expect(try alice.decrypt(toAlice, random: &random) == bytes("b\(round)"))
        }
        // Once Alice has heard from Bob she stops attaching the X3DH header.
        #expect(alice.pendingInitialHeader == nil)
        #expect(try alice.encrypt(bytes("z"), random: &random).initialHeader == nil)
    }

    @Test func headersAreEncrypted() throws {
        var random = SeededRandom(seed: 12)
        var (alice, _) = try establish(random: &random)
        let envelope = try alice.encrypt(bytes("secret"), random: &random)
        #expect(envelope.message.header.count == RatchetMessage.encryptedHeaderByteCount)
        let key = alice.ratchet.ratchetPublicKey.rawRepresentation
        #expect(!envelope.wireBytes.windows(ofCount: 32).contains { Array($0) == key })
    }

    @Test func outOfOrderWithinAndAcrossChains() throws {
        var random = SeededRandom(seed: 13)
        var (alice, bob) = try establish(random: &random)
        let first = try (0..<4).map { try alice.encrypt(bytes("m\($0)"), random: &random) }
        #expect(try bob.decrypt(first[2], random: &random) == bytes("m2"))
        let reply = try bob.encrypt(bytes("r"), random: &random)
        #expect(try alice.decrypt(reply, random: &random) == bytes("r"))
        let second = try alice.encrypt(bytes("n0"), random: &random)
        #expect(try bob.decrypt(second, random: &random) == bytes("n0"))
        // Late messages of the previous chain still open from the skipped keys.
        #expect(try bob.decrypt(first[3], random: &random) == bytes("m3"))
        #expect(try bob.decrypt(first[0], random: &random) == bytes("m0"))
        #expect(try bob.decrypt(first[1], random: &random) == bytes("m1"))
        #expect(bob.ratchet.storedSkippedKeyCount == 0)
    }

    @Test(arguments: [true, false]) func duplicatesAndReplaysAreRejectedWithoutChangingState(
        headerEncryption: Bool
    ) throws {
        var random = SeededRandom(seed: 14)
        var (alice, bob) = try establish(headerEncryption: headerEncryption, random: &random)
        let one = try alice.encrypt(bytes("1"), random: &random)
        let two = try alice.encrypt(bytes("2"), random: &random)
        _ = try bob.decrypt(two, random: &random)
        _ = try bob.decrypt(one, random: &random)
        let before = bob.stateBytes
        for replay in [one, two] {
            let error = #expect(throws: RatchetError.self) { _ = try bob.decrypt(replay, random: &random) }
            #expect(error?.code == .duplicate)
            #expect(bob.stateBytes == before)
        }
    }

    @Test(arguments: [true, false]) func everyFlippedBitIsRejectedAndStateIsUnchanged(headerEncryption: Bool) throws {
        var random = SeededRandom(seed: 15)
        var (alice, bob) = try establish(headerEncryption: headerEncryption, random: &random)
        _ = try bob.decrypt(try alice.encrypt(bytes("warm"), random: &random), random: &random)
        let envelope = try alice.encrypt(bytes("flip me"), random: &random)
        let before = bob.stateBytes
        let wire = envelope.wireBytes
        for bit in 0..<(wire.count * 8) {
            var flipped = wire
            flipped[bit / 8] ^= UInt8(1 << (bit % 8))
            #expect(throws: RatchetError.self) {
                let decoded = try RatchetEnvelope.decode(flipped)
                _ = try bob.decrypt(decoded, random: &random)
            }
            #expect(bob.stateBytes == before, "bit \(bit) changed the state")
        }
        #expect(try bob.decrypt(envelope, random: &random) == bytes("flip me"))
    }

    @Test func wrongSessionCannotRead() throws {
        var random = SeededRandom(seed: 16)
        var (alice, _) = try establish(random: &random)
        var (_, otherBob) = try establish(random: &random)
        let envelope = try alice.encrypt(bytes("for bob"), random: &random)
        let before = otherBob.stateBytes
        let error = #expect(throws: RatchetError.self) { _ = try otherBob.decrypt(envelope, random: &random) }
        #expect(error?.code == .headerNotDecryptable)
        #expect(otherBob.stateBytes == before)
    }

    @Test func messagesUpToOneMiB() throws {
        var random = SeededRandom(seed: 17)
        var (alice, bob) = try establish(random: &random)
        let big = random.bytes(count: RatchetLimits.absoluteMaximumPlaintextByteCount)
        let envelope = try alice.encrypt(big, random: &random)
        let decoded = try RatchetEnvelope.decode(envelope.wireBytes)
        #expect(try bob.decrypt(decoded, random: &random) == big)
        let error = #expect(throws: RatchetError.self) { _ = try alice.encrypt(big + [0], random: &random) }
        #expect(error?.code == .oversize)
    }

    @Test func responderCannotSendBeforeReceiving() throws {
        let bob = Party(seed: 2)
        var random = SeededRandom(seed: 18)
        var ratchet = DoubleRatchet.responder(
            sharedSecret: RatchetKey(random.secureBytes(count: 32)),
            associatedData: [],
            ratchetKey: bob.prekeys.signedPrekey.privateKey
        )
        let error = #expect(throws: RatchetError.self) { _ = try ratchet.encrypt([1], random: &random) }
        #expect(error?.code == .cannotSend)
    }
}

extension Array {
    /// Sliding windows (a tiny stand-in for swift-algorithms).
    func windows(ofCount count: Int) -> [ArraySlice<Element>] {
        guard count <= self.count else { return [] }
        return (0...(self.count - count)).map { self[$0..<($0 + count)] }
    }
}
