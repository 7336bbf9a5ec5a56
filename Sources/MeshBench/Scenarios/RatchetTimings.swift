import MeshCore
import Ratchet

/// One round of Ratchet measurements (seconds per operation).
struct RatchetTimings {
    var encrypt: Double
    var decrypt: Double
    var dhStep: Double
    var x3dh: Double
    var firstDecrypt: Double

    static func measure(messages n: Int, size: Int) throws -> RatchetTimings {
        var random = SystemRandom()
        let alice = AgentIdentity.generate(using: &random)
        let bob = AgentIdentity.generate(using: &random)
        let prekeys = PrekeySecrets(
            identity: bob,
            schedule: PrekeySchedule(oneTimePrekeyBatch: 1),
            now: .zero,
            random: &random
        )
        let bundle = prekeys.bundle(identity: bob)
        var sender = try RatchetSession.initiate(identity: alice, bundle: bundle, random: &random)
        var bobPrekeys = prekeys
        var (receiver, _) = try RatchetSession.accept(
            identity: bob,
            prekeys: &bobPrekeys,
            envelope: try sender.encrypt([1], random: &random),
            random: &random
        )
        _ = try sender.decrypt(try receiver.encrypt([2], random: &random), random: &random)
        _ = try receiver.decrypt(try sender.encrypt([3], random: &random), random: &random)
        let plaintext = random.bytes(count: size)

        // Steady state: one chain, in order.
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
