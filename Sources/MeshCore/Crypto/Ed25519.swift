import CSodium

/// Ed25519 signatures (RFC 8032), the identity of every agent.
public enum Ed25519 {
    public static let publicKeyByteCount = Int(crypto_sign_PUBLICKEYBYTES)
    public static let seedByteCount = Int(crypto_sign_SEEDBYTES)
    public static let signatureByteCount = Int(crypto_sign_BYTES)

    /// A signing key. The 32-byte seed is the secret that gets stored; libsodium's 64-byte expanded key is kept
    /// beside it in zeroed-on-release memory.
    public struct PrivateKey: Sendable {
        let expanded: SecureBytes
        public let publicKey: PublicKey

        /// A fresh key from `random`.
        public init<R: RandomSource>(using random: inout R) {
            let seed = random.secureBytes(count: Ed25519.seedByteCount)
            // The length is right by construction.
            try! self.init(seed: seed)
        }

        public init() {
            var random = SystemRandom()
            self.init(using: &random)
        }

        /// Rebuilds the key from its 32-byte seed (RFC 8032's "private key").
        public init(seed: SecureBytes) throws {
            guard seed.count == Ed25519.seedByteCount else {
                throw CryptoError(
                    .invalidKeyLength,
                    "an Ed25519 seed is \(Ed25519.seedByteCount) bytes, not \(seed.count)"
                )
            }
            var publicBytes = [UInt8](repeating: 0, count: Ed25519.publicKeyByteCount)
            expanded = SecureBytes(count: Int(crypto_sign_SECRETKEYBYTES)) { secret in
                seed.withUnsafeBytes { seedBytes in
                    _ = crypto_sign_seed_keypair(
                        &publicBytes,
                        secret.baseAddress!.assumingMemoryBound(to: UInt8.self),
                        seedBytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
                    )
                }
            }
            publicKey = try PublicKey(rawRepresentation: publicBytes)
        }

        /// The seed, still in zeroed-on-release memory, for the keystore.
        public var seed: SecureBytes {
            expanded.withUnsafeBytes { SecureBytes($0.prefix(Ed25519.seedByteCount)) }
        }

        /// Signs `message` as-is. Prefer `signature(for:domain:)`: raw signing is for protocols whose byte
        /// layout is fixed by someone else (X3DH's signed prekey is one).
        public func signature<M: ContiguousByteStorage>(forRaw message: M) -> Signature {
            var signature = [UInt8](repeating: 0, count: Ed25519.signatureByteCount)
            expanded.withUnsafeBytes { secret in
                message.withUnsafeBytes { bytes in
                    _ = crypto_sign_detached(
                        &signature,
                        nil,
                        bytes.bindMemory(to: UInt8.self).baseAddress,
                        UInt64(bytes.count),
                        secret.bindMemory(to: UInt8.self).baseAddress!
                    )
                }
            }
            return Signature(uncheckedBytes: signature)
        }

        /// Signs `message` under a domain-separation label, so the signature cannot be replayed elsewhere.
        public func signature(for message: [UInt8], domain: SignatureDomain) -> Signature {
            signature(forRaw: domain.prefixed(message))
        }
    }

    public struct PublicKey: Hashable, Sendable, CustomStringConvertible {
        public let rawRepresentation: [UInt8]

        public init(rawRepresentation bytes: [UInt8]) throws {
            guard bytes.count == Ed25519.publicKeyByteCount else {
                throw CryptoError(.invalidKeyLength, "an Ed25519 public key is 32 bytes, not \(bytes.count)")
            }
            // Canonical encoding, on the curve, in the prime-order subgroup, not of small order: every key a real
            // agent generates passes, and a crafted key that would make signatures or conversions weak does not.
            // Checked once per key (`ValidKeyMemory`).
            guard Ed25519.validKeys.isValidPoint(bytes) else {
                throw CryptoError(.invalidPublicKey, "not a valid Ed25519 public key (not a canonical curve point)")
            }
            rawRepresentation = bytes
        }

        /// Verifies a raw signature (see `PrivateKey.signature(forRaw:)`).
        public func isValidSignature<M: ContiguousByteStorage>(_ signature: Signature, forRaw message: M) -> Bool {
            Sodium.ensure()
            return message.withUnsafeBytes { bytes in
                crypto_sign_verify_detached(
                    signature.rawRepresentation,
                    bytes.bindMemory(to: UInt8.self).baseAddress,
                    UInt64(bytes.count),
                    rawRepresentation
                ) == 0
            }
        }

        public func isValidSignature(_ signature: Signature, for message: [UInt8], domain: SignatureDomain) -> Bool {
            isValidSignature(signature, forRaw: domain.prefixed(message))
        }

        /// Throws instead of returning false, for call sites that want a typed error.
        public func verify(_ signature: Signature, for message: [UInt8], domain: SignatureDomain) throws {
            guard isValidSignature(signature, for: message, domain: domain) else {
                throw CryptoError(.invalidSignature, "signature does not verify under \(domain.label)")
            }
        }

        public var description: String { "Ed25519.PublicKey(\(Hex.encode(rawRepresentation)))" }
    }

    public struct Signature: Hashable, Sendable {
        public let rawRepresentation: [UInt8]

        public init(rawRepresentation bytes: [UInt8]) throws {
            guard bytes.count == Ed25519.signatureByteCount else {
                throw CryptoError(.invalidSignature, "an Ed25519 signature is 64 bytes, not \(bytes.count)")
            }
            rawRepresentation = bytes
        }

        init(uncheckedBytes: [UInt8]) {
            rawRepresentation = uncheckedBytes
        }
    }
}
