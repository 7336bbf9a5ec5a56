import ArgumentParser
import CSodium
import MeshCore

/// `meshbench crypto`: MeshCore's typed wrappers against raw libsodium calls doing the same work, in the same run.
///
/// The wrappers add allocation, zeroing, validation and domain prefixes; the `*_ratio` fields (wrapper time divided by
/// raw time) show what that costs. A ratio near 1 means the safety is free.
struct CryptoScenario: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crypto",
        abstract: "Sign, verify, public-key checks, X25519, AEAD and HMAC through MeshCore against raw libsodium."
    )

    @Option(help: "Operations per primitive.") var iterations = 5_000
    @Option(help: "Message size in bytes.") var size = 256

    func run() throws {
        var random = SystemRandom()
        let identity = AgentIdentity.generate(using: &random)
        let message = random.bytes(count: size)
        let signature = identity.sign(message, domain: .agentRecord)
        let peer = X25519.PrivateKey(using: &random)
        let key = random.secureBytes(count: 32)
        let nonce = random.bytes(count: XChaCha20Poly1305.nonceByteCount)
        let raw = RawSodium(seed: identity.signingKey.seed.copyBytes(), key: key.copyBytes(), message: message)
        let n = Double(iterations)
        var report = BenchReport(scenario: "crypto")
        report["iterations"] = iterations
        report["size"] = size

        func pair(_ name: String, wrapped: () throws -> Void, baseline: () -> Void) rethrows {
            let ours = try Stopwatch.measure { for _ in 0..<iterations { try wrapped() } }
            let theirs = Stopwatch.measure { for _ in 0..<iterations { baseline() } }
            report.set("\(name)_per_s", n / ours)
            report.set("baseline_\(name)_per_s", n / theirs)
            report.set("\(name)_ratio", ours / theirs)
        }

        pair("ed25519_sign", wrapped: { blackHole(identity.sign(message, domain: .agentRecord)) }, baseline: raw.sign)
        let domainMessage = SignatureDomain.agentRecord.prefixed(message)
        let rawSignature = raw.signature(domainMessage)
        pair(
            "ed25519_verify",
            wrapped: { blackHole(identity.publicKey.isValidSignature(signature, for: message, domain: .agentRecord)) },
            baseline: { blackHole(raw.verify(rawSignature, domainMessage)) }
        )
        // Keys never seen before, as an indexer meets them: the memory of valid keys cannot answer, so this is the
        // point check (a scalar multiplication by the group order) plus the memory's bookkeeping. With the two
        // verifications it is the libsodium floor of each record the indexer ingests (docs/indexer.md).
        let fresh = RawSodium.freshPublicKeys(iterations)
        var wrappedIndex = 0
        var rawIndex = 0
        try pair(
            "ed25519_public_key",
            wrapped: {
                blackHole(try Ed25519.PublicKey(rawRepresentation: fresh[wrappedIndex]))
                wrappedIndex += 1
            },
            baseline: {
                blackHole(crypto_core_ed25519_is_valid_point(fresh[rawIndex]) == 1)
                rawIndex += 1
            }
        )
        try pair(
            "x25519",
            wrapped: { blackHole(try identity.agreementKey.sharedSecret(with: peer.publicKey)) },
            baseline: { raw.scalarmult(peer.publicKey.rawRepresentation) }
        )
        try pair(
            "aead_seal_open",
            wrapped: {
                let sealed = try XChaCha20Poly1305.seal(message, key: key, nonce: nonce)
                blackHole(try XChaCha20Poly1305.open(sealed, key: key, nonce: nonce))
            },
            baseline: { raw.aeadRoundTrip(nonce) }
        )
        pair(
            "hmac_sha256",
            wrapped: { blackHole(HMAC<SHA256>.authenticationCode(for: message, key: key)) },
            baseline: raw.hmac
        )
        report.printJSON()
    }
}

/// The same operations straight against libsodium, with buffers allocated once: the floor for each wrapper.
private final class RawSodium {
    var secretKey = [UInt8](repeating: 0, count: Int(crypto_sign_SECRETKEYBYTES))
    var publicKey = [UInt8](repeating: 0, count: Int(crypto_sign_PUBLICKEYBYTES))
    var curveSecret = [UInt8](repeating: 0, count: 32)
    let key: [UInt8]
    let message: [UInt8]
    var output = [UInt8](repeating: 0, count: 1 << 20)
    var scratch = [UInt8](repeating: 0, count: 1 << 20)

    init(seed: [UInt8], key: [UInt8], message: [UInt8]) {
        self.key = key
        self.message = message
        _ = crypto_sign_seed_keypair(&publicKey, &secretKey, seed)
        _ = crypto_sign_ed25519_sk_to_curve25519(&curveSecret, secretKey)
    }

    func sign() {
        var prefixed = SignatureDomain.agentRecord.prefixed(message)
        _ = crypto_sign_detached(&output, nil, &prefixed, UInt64(prefixed.count), secretKey)
    }

    func signature(_ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 64)
        _ = crypto_sign_detached(&out, nil, bytes, UInt64(bytes.count), secretKey)
        return out
    }

    func verify(_ signature: [UInt8], _ bytes: [UInt8]) -> Bool {
        crypto_sign_verify_detached(signature, bytes, UInt64(bytes.count), publicKey) == 0
    }

    /// Public keys made by libsodium alone, so MeshCore's memory of valid keys has seen none of them.
    static func freshPublicKeys(_ count: Int) -> [[UInt8]] {
        (0..<count).map { _ in
            var publicKey = [UInt8](repeating: 0, count: Int(crypto_sign_PUBLICKEYBYTES))
            var secretKey = [UInt8](repeating: 0, count: Int(crypto_sign_SECRETKEYBYTES))
            _ = crypto_sign_keypair(&publicKey, &secretKey)
            sodium_memzero(&secretKey, secretKey.count)
            return publicKey
        }
    }

    func scalarmult(_ peer: [UInt8]) {
        _ = crypto_scalarmult(&output, curveSecret, peer)
    }

    func aeadRoundTrip(_ nonce: [UInt8]) {
        var length: UInt64 = 0
        _ = crypto_aead_xchacha20poly1305_ietf_encrypt(
            &output,
            &length,
            message,
            UInt64(message.count),
            nil,
            0,
            nil,
            nonce,
            key
        )
        _ = crypto_aead_xchacha20poly1305_ietf_decrypt(&scratch, nil, nil, output, length, nil, 0, nonce, key)
    }

    func hmac() {
        var state = crypto_auth_hmacsha256_state()
        _ = crypto_auth_hmacsha256_init(&state, key, key.count)
        _ = crypto_auth_hmacsha256_update(&state, message, UInt64(message.count))
        _ = crypto_auth_hmacsha256_final(&state, &output)
    }
}
