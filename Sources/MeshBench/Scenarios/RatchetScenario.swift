import ArgumentParser
import MeshCore
import Ratchet

/// `meshbench ratchet`: the Double Ratchet (header encryption on) and X3DH against the primitives they are made of,
/// measured in the same run, in `--rounds` rounds; figures and ratios are the median round.
/// docs/ratchet.md explains each field.
struct RatchetScenario: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ratchet",
        abstract: "Ratchet encrypt/decrypt, DH step, X3DH and first decrypt, with primitive baselines and ratios."
    )

    @Option(help: "Messages per measurement.") var messages = 2_000
    @Option(help: "Plaintext size in bytes.") var size = 256
    @Option(help: "Rounds; each figure is the median round.") var rounds = 5

    func run() throws {
        let n = max(messages, 10)
        // Each round measures the primitives and the Ratchet back to back, so a ratio compares figures taken under
        // the same load; the report gives the median round of each figure and of each ratio.
        var baselines: [RatchetBaselines] = []
        var timings: [RatchetTimings] = []
        for _ in 0..<max(rounds, 1) {
            baselines.append(try RatchetBaselines.measure(size: size, iterations: n))
            timings.append(try RatchetTimings.measure(messages: n, size: size))
        }
        let rounds = Array(zip(baselines, timings))
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        func rate(_ value: (RatchetTimings) -> Double) -> Double { 1 / median(timings.map(value)) }
        func baseRate(_ value: (RatchetBaselines) -> Double) -> Double { 1 / median(baselines.map(value)) }

        var report = BenchReport(scenario: "ratchet")
        report["messages"] = n
        report["size"] = size
        report["rounds"] = rounds.count
        report.set("encrypt_per_s", rate(\.encrypt))
        report.set("decrypt_per_s", rate(\.decrypt))
        report.set("dh_step_per_s", rate(\.dhStep))
        report.set("x3dh_per_s", rate(\.x3dh))
        report.set("first_decrypt_us", median(timings.map(\.firstDecrypt)) * 1e6)
        report.set("aead_per_s", baseRate(\.aead))
        report.set("hmac_per_s", baseRate(\.hmac))
        report.set("x25519_per_s", baseRate(\.x25519))
        report.set("ed25519_verify_per_s", baseRate(\.ed25519Verify))
        report.set("keygen_per_s", baseRate(\.keygen))
        report.set("aead_header_per_s", baseRate(\.aeadHeader))
        report.set("random_nonce_per_s", baseRate(\.randomNonce))
        report.set("ed25519_to_x25519_per_s", baseRate(\.ed25519ToX25519))
        report.set("symmetric_ratio", median(rounds.map { ($1.encrypt + $1.decrypt) / $0.symmetricPair }))
        report.set("dh_step_ratio", median(rounds.map { $1.dhStep / $0.dhStep }))
        report.set("x3dh_ratio", median(rounds.map { $1.x3dh / $0.x3dh }))
        report.set("first_decrypt_ratio", median(timings.map { $0.firstDecrypt / $0.decrypt }))
        report.printJSON()
    }
}
