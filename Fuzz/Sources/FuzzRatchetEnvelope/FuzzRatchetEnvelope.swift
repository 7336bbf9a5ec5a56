import FuzzSupport
import MeshCore
import Ratchet

/// A fixed conversation: Bob's session after Alice's first message, and envelopes Alice sent next.
struct Fixture: Sendable {
    let bob: RatchetSession
    let envelopes: [[UInt8]]
    let limits = RatchetLimits(maximumSkip: 50, maximumStoredSkippedKeys: 60, maximumSkippedChains: 3)

    init() {
        var random = SeededRandom(seed: 1)
        let alice = AgentIdentity.generate(using: &random)
        let bobIdentity = AgentIdentity.generate(using: &random)
        var prekeys = PrekeySecrets(identity: bobIdentity, now: .zero, random: &random)
        var session = try! RatchetSession.initiate(
            identity: alice,
            bundle: prekeys.bundle(identity: bobIdentity),
            limits: limits,
            random: &random
        )
        let first = try! session.encrypt([0], random: &random)
        bob = try! RatchetSession.accept(
            identity: bobIdentity,
            prekeys: &prekeys,
            envelope: first,
            limits: limits,
            random: &random
        ).session
        envelopes = (0..<4).map { _ in try! session.encrypt([1, 2, 3], random: &random).wireBytes }
    }
}

let fixture = Fixture()

/// Envelope, header, bundle and state decoders never trap; the decrypt path either opens a message or throws a
/// `RatchetError` and leaves the session unchanged; no input makes the session store more skipped keys than the cap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    guard let mode = bytes.first else { return 0 }
    let rest = Array(bytes.dropFirst())
    switch mode % 4 {
    case 0:
        decrypt(rest)
    case 1:
        // A real envelope with the input XORed over it: reaches the header and body checks.
        var envelope = fixture.envelopes[Int(rest.first ?? 0) % fixture.envelopes.count]
        for (index, byte) in rest.dropFirst().enumerated() where index < envelope.count { envelope[index] ^= byte }
        decrypt(envelope)
    case 2:
        _ = try? RatchetHeader(decoding: rest)
        if let bundle = try? PrekeyBundle(wireBytes: rest) {
            fuzzCheck(bundle.wireBytes == rest, "bundle does not round-trip")
            _ = try? bundle.verify()
        }
    default:
        // A decodable but inconsistent state must fail with typed errors, never trap.
        if var session = try? RatchetSession(decodingState: SecureBytes(rest), limits: fixture.limits) {
            var random = SeededRandom(seed: 3)
            _ = try? session.encrypt([1], random: &random)
            for envelope in fixture.envelopes {
                if let decoded = try? RatchetEnvelope.decode(envelope) {
                    _ = try? session.decrypt(decoded, random: &random)
                }
            }
        }
        _ = try? PrekeySecrets(decodingState: SecureBytes(rest))
    }
    return 0
}

func decrypt(_ bytes: [UInt8]) {
    guard let envelope = try? RatchetEnvelope.decode(bytes) else { return }
    fuzzCheck(envelope.wireBytes == bytes, "envelope does not round-trip")
    var session = fixture.bob
    var random = SeededRandom(seed: 2)
    do {
        _ = try session.decrypt(envelope, random: &random)
    } catch is RatchetError {
        fuzzCheck(
            session.encodedState().constantTimeEquals(fixture.bob.encodedState()),
            "a failed decrypt changed the session"
        )
    } catch {
        fuzzCheck(false, "untyped error \(error)")
    }
    fuzzCheck(
        session.ratchet.storedSkippedKeyCount <= fixture.limits.maximumStoredSkippedKeys,
        "skipped keys over the cap"
    )
}
