import MeshCore

/// The primitive calls the Ratchet is made of, timed in the same run (seconds per call).
struct RatchetBaselines {
    var aead: Double = 0
    var aeadHeader: Double = 0
    var hmac: Double = 0
    var x25519: Double = 0
    var ed25519Verify: Double = 0
    var keygen: Double = 0
    var ed25519ToX25519: Double = 0
    var randomNonce: Double = 0

    static func measure(size: Int, iterations: Int) throws -> RatchetBaselines {
        var random = SystemRandom()
        var result = RatchetBaselines()
        let key = random.secureBytes(count: 32)
        let nonce = random.bytes(count: XChaCha20Poly1305.nonceByteCount)
        let body = random.bytes(count: size)
        let header = random.bytes(count: 40)
        let ad = random.bytes(count: 66 + 80)
        let n = Double(iterations)
        // One seal plus one open per iteration: two AEAD calls.
        result.aead =
            try Stopwatch.measure {
                for _ in 0..<iterations {
                    let sealed = try XChaCha20Poly1305.seal(body, key: key, nonce: nonce, authenticating: ad)
                    blackHole(try XChaCha20Poly1305.open(sealed, key: key, nonce: nonce, authenticating: ad))
                }
            } / (2 * n)
        result.aeadHeader =
            try Stopwatch.measure {
                for _ in 0..<iterations {
                    let sealed = try XChaCha20Poly1305.seal(header, key: key, nonce: nonce, authenticating: ad)
                    blackHole(try XChaCha20Poly1305.open(sealed, key: key, nonce: nonce, authenticating: ad))
                }
            } / (2 * n)
        result.randomNonce =
            Stopwatch.measure {
                for _ in 0..<iterations { blackHole(random.bytes(count: XChaCha20Poly1305.nonceByteCount)) }
            } / n
        let message = random.bytes(count: 32)
        result.hmac =
            Stopwatch.measure {
                for _ in 0..<iterations { blackHole(HMAC<SHA256>.authenticationCode(for: message, key: key)) }
            } / n
        let mine = X25519.PrivateKey(using: &random)
        let theirs = X25519.PrivateKey(using: &random).publicKey
        result.x25519 =
            try Stopwatch.measure {
                for _ in 0..<iterations { blackHole(try mine.sharedSecret(with: theirs)) }
            } / n
        result.keygen =
            Stopwatch.measure {
                for _ in 0..<iterations { blackHole(X25519.PrivateKey(using: &random)) }
            } / n
        let identity = AgentIdentity.generate(using: &random)
        let signature = identity.signingKey.signature(forRaw: message)
        result.ed25519Verify =
            Stopwatch.measure {
                for _ in 0..<iterations { blackHole(identity.publicKey.isValidSignature(signature, forRaw: message)) }
            } / n
        result.ed25519ToX25519 =
            try Stopwatch.measure {
                for _ in 0..<iterations { blackHole(try identity.publicKey.agreementKey()) }
            } / n
        return result
    }

    /// Encrypt + decrypt of one message in a chain: per side two chain HMACs, three for the message key's HKDF,
    /// one header AEAD and one body AEAD; the sender also draws the header's random nonce.
    var symmetricPair: Double { 10 * hmac + 2 * aeadHeader + 2 * aead + randomNonce }
    /// A DH ratchet step: two X25519, one key generation, two 96-byte root HKDFs (four HMACs each), and the one
    /// extra header trial (the current header key fails before the next one opens it).
    var dhStep: Double { 2 * x25519 + keygen + 8 * hmac + aeadHeader }
    /// Both halves of X3DH with a one-time prekey: one signature check, one ephemeral key, eight X25519, two
    /// Ed25519→X25519 conversions of identity keys, two 32-byte HKDFs (two HMACs each).
    var x3dh: Double { ed25519Verify + keygen + 8 * x25519 + 2 * ed25519ToX25519 + 4 * hmac }
}
