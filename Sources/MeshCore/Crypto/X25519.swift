import CSodium

/// X25519 key agreement (RFC 7748).
public enum X25519 {
    public static let keyByteCount = Int(crypto_scalarmult_BYTES)

    public struct PrivateKey: Sendable {
        let scalar: SecureBytes
        public let publicKey: PublicKey

        public init<R: RandomSource>(using random: inout R) {
            let scalar = random.secureBytes(count: X25519.keyByteCount)
            try! self.init(rawRepresentation: scalar)
        }

        public init() {
            var random = SystemRandom()
            self.init(using: &random)
        }

        /// Any 32 bytes are a valid scalar; clamping happens inside the scalar multiplication.
        public init(rawRepresentation scalar: SecureBytes) throws {
            guard scalar.count == X25519.keyByteCount else {
                throw CryptoError(.invalidKeyLength, "an X25519 private key is 32 bytes, not \(scalar.count)")
            }
            Sodium.ensure()
            self.scalar = scalar
            var publicBytes = [UInt8](repeating: 0, count: X25519.keyByteCount)
            scalar.withUnsafeBytes { secret in
                _ = crypto_scalarmult_base(&publicBytes, secret.bindMemory(to: UInt8.self).baseAddress!)
            }
            publicKey = try PublicKey(rawRepresentation: publicBytes)
        }

        public var rawRepresentation: SecureBytes { scalar }

        /// The raw shared secret. Callers must feed it through a KDF (HKDF), never use it as a key directly.
        /// Throws for a low-order peer key (the all-zero output), which would make the secret predictable.
        public func sharedSecret(with peer: PublicKey) throws -> SecureBytes {
            var failed = false
            let shared = SecureBytes(count: X25519.keyByteCount) { out in
                scalar.withUnsafeBytes { secret in
                    failed =
                        crypto_scalarmult(
                            out.baseAddress!.assumingMemoryBound(to: UInt8.self),
                            secret.bindMemory(to: UInt8.self).baseAddress!,
                            peer.rawRepresentation
                        ) != 0
                }
            }
            if failed {
                throw CryptoError(.weakPublicKey, "X25519 peer key has small order")
            }
            return shared
        }
    }

    public struct PublicKey: Hashable, Sendable, CustomStringConvertible {
        public let rawRepresentation: [UInt8]

        public init(rawRepresentation bytes: [UInt8]) throws {
            guard bytes.count == X25519.keyByteCount else {
                throw CryptoError(.invalidKeyLength, "an X25519 public key is 32 bytes, not \(bytes.count)")
            }
            rawRepresentation = bytes
        }

        public var description: String { "X25519.PublicKey(\(Hex.encode(rawRepresentation)))" }
    }
}

extension Ed25519.PublicKey {
    /// The birational map from Edwards to Montgomery form, so an agent's identity key also serves for X3DH.
    /// See docs/decisions/0003-identity-agreement-key.md.
    public func agreementKey() throws -> X25519.PublicKey {
        Sodium.ensure()
        var out = [UInt8](repeating: 0, count: X25519.keyByteCount)
        guard crypto_sign_ed25519_pk_to_curve25519(&out, rawRepresentation) == 0 else {
            throw CryptoError(.keyConversionFailed, "Ed25519 public key has no X25519 equivalent")
        }
        return try X25519.PublicKey(rawRepresentation: out)
    }
}

extension Ed25519.PrivateKey {
    /// The X25519 private key matching `publicKey.agreementKey()`.
    public func agreementKey() throws -> X25519.PrivateKey {
        var failed = false
        let scalar = SecureBytes(count: X25519.keyByteCount) { out in
            expanded.withUnsafeBytes { secret in
                failed =
                    crypto_sign_ed25519_sk_to_curve25519(
                        out.baseAddress!.assumingMemoryBound(to: UInt8.self),
                        secret.bindMemory(to: UInt8.self).baseAddress!
                    ) != 0
            }
        }
        if failed { throw CryptoError(.keyConversionFailed, "Ed25519 secret key conversion failed") }
        return try X25519.PrivateKey(rawRepresentation: scalar)
    }
}
