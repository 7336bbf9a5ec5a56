import FuzzSupport
import MeshCore
import Ratchet

/// The Double Ratchet without header encryption (the interop variant, decision 0010): its header is read in
/// clear, so a hostile header reaches the skipped-key bookkeeping and the DH ratchet step before any AEAD check.
/// Decrypting any bytes never traps, fails with a `RatchetError` that leaves the state unchanged, never stores more
/// skipped keys than the cap, and opens nothing but what Alice sent (no forgery). Headers round-trip.
struct Fixture: Sendable {
    let bob: DoubleRatchet
    let messages: [RatchetMessage]
    static let plaintext: [UInt8] = [1, 2, 3]
    static let limits = RatchetLimits(maximumSkip: 50, maximumStoredSkippedKeys: 60, maximumSkippedChains: 3)

    init() {
        var random = SeededRandom(seed: 1)
        let secret = RatchetKey(SecureBytes(random.bytes(count: 32)))
        let bobKey = X25519.PrivateKey(using: &random)
        var alice = try! DoubleRatchet.initiator(
            sharedSecret: secret,
            associatedData: [7, 7],
            remoteRatchetKey: bobKey.publicKey,
            headerEncryption: false,
            limits: Self.limits,
            random: &random
        )
        var bob = DoubleRatchet.responder(
            sharedSecret: secret,
            associatedData: [7, 7],
            ratchetKey: bobKey,
            headerEncryption: false,
            limits: Self.limits
        )
        // Bob has read the first message and answered once, so both chains and a DH step exist.
        _ = try! bob.decrypt(try! alice.encrypt([0], random: &random), random: &random)
        _ = try! alice.decrypt(try! bob.encrypt([0], random: &random), random: &random)
        messages = (0..<4).map { _ in try! alice.encrypt(Self.plaintext, random: &random) }
        self.bob = bob
    }
}

let fixture = Fixture()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    guard let mode = bytes.first else { return 0 }
    let rest = Array(bytes.dropFirst())
    switch mode % 3 {
    case 0:
        // Any header and body.
        let split = min(RatchetHeader.byteCount, rest.count)
        decrypt(RatchetMessage(header: Array(rest.prefix(split)), ciphertext: Array(rest.dropFirst(split))))
    case 1:
        // A real message with the input XORed over its header and then its body.
        let original = fixture.messages[Int(rest.first ?? 0) % fixture.messages.count]
        var header = original.header
        var body = original.ciphertext
        for (index, byte) in rest.dropFirst().enumerated() {
            if index < header.count {
                header[index] ^= byte
            } else if index - header.count < body.count {
                body[index - header.count] ^= byte
            }
        }
        decrypt(RatchetMessage(header: header, ciphertext: body))
    default:
        if let header = try? RatchetHeader(decoding: rest) {
            fuzzCheck(header.encoded == rest, "a plain header does not round-trip")
        }
    }
    return 0
}

func decrypt(_ message: RatchetMessage) {
    var bob = fixture.bob
    var random = SeededRandom(seed: 2)
    do {
        let plaintext = try bob.decrypt(message, random: &random)
        fuzzCheck(plaintext == Fixture.plaintext, "a message Alice never sent was opened")
        fuzzCheck(fixture.messages.contains(message), "a forged message was opened")
    } catch is RatchetError {
        fuzzCheck(
            bob.encodedState().constantTimeEquals(fixture.bob.encodedState()),
            "a failed decrypt changed the ratchet"
        )
    } catch {
        fuzzCheck(false, "untyped error \(error)")
    }
    fuzzCheck(bob.storedSkippedKeyCount <= Fixture.limits.maximumStoredSkippedKeys, "skipped keys over the cap")
}
