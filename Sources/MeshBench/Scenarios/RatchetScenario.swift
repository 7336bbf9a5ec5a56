import ArgumentParser
import MeshCore
import Ratchet

/// `meshbench ratchet`: the Double Ratchet (header encryption on) and X3DH against the primitives they are made of,
/// measured in the same run. docs/ratchet.md explains each field.
struct RatchetScenario: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ratchet",
        abstract: "Ratchet encrypt/decrypt, DH step, X3DH and first decrypt, with primitive baselines and ratios."
    )

    @Option(help: "Messages per measurement.") var messages = 2_000
    @Option(help: "Plaintext size in bytes.") var size = 256

    func run() throws {
        var random = SystemRandom()
        let n = max(messages, 10)
        let base = try RatchetBaselines.measure(size: size, iterations: n)
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

        // First decrypt after a restart: the session is decoded from its stored form, then decrypts the next
        // message of its chain (the same message each time, from the same stored state).
        let stored = receiver.encodedState()
        let next = try sender.encrypt(plaintext, random: &random)
        let first =
            try Stopwatch.measure {
                for _ in 0..<n {
                    var restored = try RatchetSession(decodingState: stored)
                    blackHole(try restored.decrypt(next, random: &random))
                }
            } / Double(n)
        _ = try receiver.decrypt(next, random: &random)

        // DH ratchet step: strict alternation, so every decrypt starts a new receiving chain; timed decrypts only.
        let rounds = max(n / 10, 10)
        var stepping: Double = 0
        for _ in 0..<rounds {
            let toReceiver = try sender.encrypt(plaintext, random: &random)
            stepping += try Stopwatch.measure { blackHole(try receiver.decrypt(toReceiver, random: &random)) }
            let toSender = try receiver.encrypt(plaintext, random: &random)
            stepping += try Stopwatch.measure { blackHole(try sender.decrypt(toSender, random: &random)) }
        }
        let dhStep = stepping / Double(2 * rounds) - decrypt

        // Full X3DH, both halves.
        let x3dh =
            try Stopwatch.measure {
                for _ in 0..<rounds {
                    let (_, header) = try X3DH.initiate(identity: alice, bundle: bundle, random: &random)
                    blackHole(try X3DH.respond(identity: bob, prekeys: prekeys, header: header))
                }
            } / Double(rounds)

        var report = BenchReport(scenario: "ratchet")
        report["messages"] = n
        report["size"] = size
        report.set("encrypt_per_s", 1 / encrypt)
        report.set("decrypt_per_s", 1 / decrypt)
        report.set("dh_step_per_s", 1 / dhStep)
        report.set("x3dh_per_s", 1 / x3dh)
        report.set("first_decrypt_us", first * 1e6)
        report.set("aead_per_s", 1 / base.aead)
        report.set("hmac_per_s", 1 / base.hmac)
        report.set("x25519_per_s", 1 / base.x25519)
        report.set("ed25519_verify_per_s", 1 / base.ed25519Verify)
        report.set("keygen_per_s", 1 / base.keygen)
        report.set("aead_header_per_s", 1 / base.aeadHeader)
        report.set("ed25519_to_x25519_per_s", 1 / base.ed25519ToX25519)
        report.set("symmetric_ratio", (encrypt + decrypt) / base.symmetricPair)
        report.set("dh_step_ratio", dhStep / base.dhStep)
        report.set("x3dh_ratio", x3dh / base.x3dh)
        report.set("first_decrypt_ratio", first / decrypt)
        report.printJSON()
    }
}
