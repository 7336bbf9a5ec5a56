import MeshCore
import Testing

@testable import Ratchet

/// An agent with its identity and prekeys, made deterministically from a seed.
struct Party {
    let identity: AgentIdentity
    var prekeys: PrekeySecrets

    init(seed: UInt64, oneTimePrekeys: Int = 5, now: Timestamp = .zero) {
        var random = SeededRandom(seed: seed)
        identity = AgentIdentity.generate(using: &random)
        prekeys = PrekeySecrets(
            identity: identity,
            schedule: PrekeySchedule(oneTimePrekeyBatch: oneTimePrekeys),
            now: now,
            random: &random
        )
    }

    var bundle: PrekeyBundle { prekeys.bundle(identity: identity) }
}

/// Alice starts a session with Bob's bundle; Bob accepts her first message ("hello").
func establish(
    headerEncryption: Bool = true,
    limits: RatchetLimits = .default,
    random: inout SeededRandom
) throws -> (alice: RatchetSession, bob: RatchetSession) {
    let alice = Party(seed: 1)
    var bob = Party(seed: 2)
    var aliceSession = try RatchetSession.initiate(
        identity: alice.identity,
        bundle: bob.bundle,
        headerEncryption: headerEncryption,
        limits: limits,
        random: &random
    )
    let first = try aliceSession.encrypt(Array("hello".utf8), random: &random)
    let (bobSession, plaintext) = try RatchetSession.accept(
        identity: bob.identity,
        prekeys: &bob.prekeys,
        envelope: first,
        headerEncryption: headerEncryption,
        limits: limits,
        random: &random
    )
    #expect(plaintext == Array("hello".utf8))
    return (aliceSession, bobSession)
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

extension RatchetSession {
    /// A digest of the serialized state, for "unchanged" checks (short enough to print on failure).
    var stateBytes: String { Hex.encode(SHA256.hash(encodedState())) }
}
