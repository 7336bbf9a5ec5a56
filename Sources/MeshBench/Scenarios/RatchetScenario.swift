import ArgumentParser
import MeshCore
import Ratchet

/// `meshbench ratchet`: the Double Ratchet (header encryption on) and X3DH against the primitives they are made of,
/// measured in the same run; each figure is the best of `--rounds` (the least disturbed on a shared machine).
/// docs/ratchet.md explains each field.
struct RatchetScenario: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ratchet",
        abstract: "Ratchet encrypt/decrypt, DH step, X3DH and first decrypt, with primitive baselines and ratios."
    )

    @Option(help: "Messages per measurement.") var messages = 2_000
    @Option(help: "Plaintext size in bytes.") var size = 256
    @Option(help: "Rounds; each figure is the best round.") var rounds = 5

    func run() throws {
        let n = max(messages, 10)
        let base = try RatchetBaselines.best(size: size, iterations: n, rounds: rounds)
        var best = try RatchetTimings.measure(messages: n, size: size)
        for _ in 1..<max(rounds, 1) { best = best.fastest(try RatchetTimings.measure(messages: n, size: size)) }

        var report = BenchReport(scenario: "ratchet")
        report["messages"] = n
        report["size"] = size
        report["rounds"] = rounds
        report.set("encrypt_per_s", 1 / best.encrypt)
        report.set("decrypt_per_s", 1 / best.decrypt)
        report.set("dh_step_per_s", 1 / best.dhStep)
        report.set("x3dh_per_s", 1 / best.x3dh)
        report.set("first_decrypt_us", best.firstDecrypt * 1e6)
        report.set("aead_per_s", 1 / base.aead)
        report.set("hmac_per_s", 1 / base.hmac)
        report.set("x25519_per_s", 1 / base.x25519)
        report.set("ed25519_verify_per_s", 1 / base.ed25519Verify)
        report.set("keygen_per_s", 1 / base.keygen)
        report.set("aead_header_per_s", 1 / base.aeadHeader)
        report.set("ed25519_to_x25519_per_s", 1 / base.ed25519ToX25519)
        report.set("symmetric_ratio", (best.encrypt + best.decrypt) / base.symmetricPair)
        report.set("dh_step_ratio", best.dhStep / base.dhStep)
        report.set("x3dh_ratio", best.x3dh / base.x3dh)
        report.set("first_decrypt_ratio", best.firstDecrypt / best.decrypt)
        report.printJSON()
    }
}
