import MeshCore
import Ratchet

/// One round of Ratchet measurements (seconds per operation).
struct RatchetTimings {
    var encrypt: Double
    var decrypt: Double
    var dhStep: Double
    var x3dh: Double
    var firstDecrypt: Double

    /// Two sessions that have exchanged a message each way, so the next messages run on one chain.
    struct Pair {
        let alice: AgentIdentity
        let bob: AgentIdentity
        let prekeys: PrekeySecrets
        let bundle: PrekeyBundle
        var sender: RatchetSession
        var receiver: RatchetSession

        init(random: inout SystemRandom) throws {
            alice = AgentIdentity.generate(using: &random)
            bob = AgentIdentity.generate(using: &random)
            prekeys = PrekeySecrets(
                identity: bob,
                schedule: PrekeySchedule(oneTimePrekeyBatch: 1),
                now: .zero,
                random: &random
            )
            bundle = prekeys.bundle(identity: bob)
            sender = try RatchetSession.initiate(identity: alice, bundle: bundle, random: &random)
            var bobPrekeys = prekeys
            (receiver, _) = try RatchetSession.accept(
                identity: bob,
                prekeys: &bobPrekeys,
                envelope: try sender.encrypt([1], random: &random),
                random: &random
            )
            _ = try sender.decrypt(try receiver.encrypt([2], random: &random), random: &random)
            _ = try receiver.decrypt(try sender.encrypt([3], random: &random), random: &random)
        }

        /// Steady state, one chain in order: seconds per encrypt of `n` messages of `plaintext`, then per decrypt.
        mutating func steadyState(
            messages n: Int,
            plaintext: [UInt8],
            random: inout SystemRandom
        ) throws -> (encrypt: Double, decrypt: Double) {
            var envelopes: [RatchetEnvelope] = []
            envelopes.reserveCapacity(n)
            let encrypt =
                try Stopwatch.measure {
                    for _ in 0..<n { envelopes.append(try sender.encrypt(plaintext, random: &random)) }
                } / Double(n)
            let decrypt =
                try Stopwatch.measure {
                    for envelope in envelopes { blackHole(try receiver.decrypt(envelope, random: &random)) }
                } / Double(n)
            return (encrypt, decrypt)
        }
    }

    /// Encrypt and decrypt alone (what `CryptoCeiling` needs), without the DH-step and X3DH rounds.
    static func steadyState(messages n: Int, size: Int) throws -> (encrypt: Double, decrypt: Double) {
        var random = SystemRandom()
        var pair = try Pair(random: &random)
        return try pair.steadyState(messages: n, plaintext: random.bytes(count: size), random: &random)
    }

    static func measure(messages n: Int, size: Int) throws -> RatchetTimings {
        var random = SystemRandom()
        var pair = try Pair(random: &random)
        let (alice, bob, prekeys, bundle) = (pair.alice, pair.bob, pair.prekeys, pair.bundle)
        let plaintext = random.bytes(count: size)
        let (encrypt, decrypt) = try pair.steadyState(messages: n, plaintext: plaintext, random: &random)
        var (sender, receiver) = (pair.sender, pair.receiver)

        // First decrypt after a restart: the session is decoded from its stored form (its peer known from the
        // store's row key), then decrypts the next message of its chain; same message, same stored state each time.
        let stored = receiver.encodedState()
        let next = try sender.encrypt(plaintext, random: &random)
        let firstDecrypt =
            try Stopwatch.measure {
                for _ in 0..<n {
                    var restored = try RatchetSession(decodingState: stored, remoteIdentity: alice.publicKey)
                    blackHole(try restored.decrypt(next, random: &random))
                }
            } / Double(n)
        _ = try receiver.decrypt(next, random: &random)

        // DH ratchet step: strict alternation, so every decrypt starts a new receiving chain; decrypts timed only.
        let steps = max(n / 10, 10)
        var stepping: Double = 0
        for _ in 0..<steps {
            let toReceiver = try sender.encrypt(plaintext, random: &random)
            stepping += try Stopwatch.measure { blackHole(try receiver.decrypt(toReceiver, random: &random)) }
            let toSender = try receiver.encrypt(plaintext, random: &random)
            stepping += try Stopwatch.measure { blackHole(try sender.decrypt(toSender, random: &random)) }
        }
        let dhStep = stepping / Double(2 * steps) - decrypt

        // Full X3DH, both halves.
        let x3dh =
            try Stopwatch.measure {
                for _ in 0..<steps {
                    let (_, header) = try X3DH.initiate(identity: alice, bundle: bundle, random: &random)
                    blackHole(try X3DH.respond(identity: bob, prekeys: prekeys, header: header))
                }
            } / Double(steps)
        return RatchetTimings(
            encrypt: encrypt,
            decrypt: decrypt,
            dhStep: dhStep,
            x3dh: x3dh,
            firstDecrypt: firstDecrypt
        )
    }
}
