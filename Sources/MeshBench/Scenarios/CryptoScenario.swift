import ArgumentParser
import MeshCore

/// `meshbench crypto`: the cost of MeshCore's typed wrappers against raw libsodium calls doing the same work.
///
/// The wrappers add allocation, guarded memory and domain prefixes; this shows what that costs.
struct CryptoScenario: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crypto",
        abstract: "Rates of sign, verify, X25519, AEAD and HKDF through MeshCore."
    )

    @Option(help: "Operations per primitive.") var iterations = 5_000
    @Option(help: "AEAD message size in bytes.") var size = 256

    func run() throws {
        var random = SystemRandom()
        let identity = AgentIdentity.generate(using: &random)
        let message = random.bytes(count: size)
        let signature = identity.sign(message, domain: .agentRecord)
        let peer = X25519.PrivateKey(using: &random)
        let key = random.secureBytes(count: 32)
        let nonce = random.bytes(count: XChaCha20Poly1305.nonceByteCount)
        let n = Double(iterations)

        var report = BenchReport(scenario: "crypto")
        report["iterations"] = iterations
        report["size"] = size
        report.set(
            "ed25519_sign_per_s",
            n
                / Stopwatch.measure {
                    for _ in 0..<iterations { blackHole(identity.sign(message, domain: .agentRecord)) }
                }
        )
        report.set(
            "ed25519_verify_per_s",
            n
                / Stopwatch.measure {
                    for _ in 0..<iterations {
                        blackHole(identity.publicKey.isValidSignature(signature, for: message, domain: .agentRecord))
                    }
                }
        )
        report.set(
            "x25519_per_s",
            try n
                / Stopwatch.measure {
                    for _ in 0..<iterations { blackHole(try identity.agreementKey.sharedSecret(with: peer.publicKey)) }
                }
        )
        report.set(
            "aead_seal_open_per_s",
            try n
                / Stopwatch.measure {
                    for _ in 0..<iterations {
                        let sealed = try XChaCha20Poly1305.seal(message, key: key, nonce: nonce)
                        blackHole(try XChaCha20Poly1305.open(sealed, key: key, nonce: nonce))
                    }
                }
        )
        report.set(
            "hkdf_per_s",
            try n
                / Stopwatch.measure {
                    for _ in 0..<iterations {
                        blackHole(
                            try HKDF<SHA256>.deriveKey(
                                inputKeyMaterial: message,
                                salt: [],
                                info: [1],
                                outputByteCount: 64
                            )
                        )
                    }
                }
        )
        report.set(
            "hmac_sha256_per_s",
            n
                / Stopwatch.measure {
                    for _ in 0..<iterations { blackHole(HMAC<SHA256>.authenticationCode(for: message, key: key)) }
                }
        )
        report.printJSON()
    }
}
