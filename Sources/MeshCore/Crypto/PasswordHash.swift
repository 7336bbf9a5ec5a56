import CSodium

/// Argon2id (`crypto_pwhash`): turns a passphrase into a key-file encryption key.
public enum PasswordHash {
    public static let saltByteCount = Int(crypto_pwhash_SALTBYTES)

    /// Work factors. They are stored in the key file so they can be raised later without breaking old files.
    public struct Cost: Hashable, Sendable {
        public var operations: UInt64
        public var memoryBytes: UInt64

        public init(operations: UInt64, memoryBytes: UInt64) {
            self.operations = operations
            self.memoryBytes = memoryBytes
        }

        /// libsodium's MODERATE: about 0.7 s and 256 MiB on a laptop; a key file is opened once per start.
        public static let moderate = Cost(
            operations: UInt64(crypto_pwhash_OPSLIMIT_MODERATE),
            memoryBytes: UInt64(crypto_pwhash_MEMLIMIT_MODERATE)
        )
        /// libsodium's INTERACTIVE: for tests.
        public static let interactive = Cost(
            operations: UInt64(crypto_pwhash_OPSLIMIT_INTERACTIVE),
            memoryBytes: UInt64(crypto_pwhash_MEMLIMIT_INTERACTIVE)
        )
        /// The most a key file may ask for. A crafted file must not make us allocate gigabytes or spin for minutes.
        public static let ceiling = Cost(
            operations: UInt64(crypto_pwhash_OPSLIMIT_SENSITIVE),
            memoryBytes: UInt64(crypto_pwhash_MEMLIMIT_SENSITIVE)
        )

        public var isWithinCeiling: Bool {
            operations >= UInt64(crypto_pwhash_OPSLIMIT_MIN) && operations <= Cost.ceiling.operations
                && memoryBytes >= UInt64(crypto_pwhash_MEMLIMIT_MIN) && memoryBytes <= Cost.ceiling.memoryBytes
        }
    }

    public static func deriveKey(
        passphrase: SecureBytes,
        salt: [UInt8],
        cost: Cost,
        outputByteCount: Int = 32
    ) throws -> SecureBytes {
        Sodium.ensure()
        guard salt.count == saltByteCount else {
            throw CryptoError(.invalidNonceLength, "Argon2id salt is \(saltByteCount) bytes, not \(salt.count)")
        }
        guard cost.isWithinCeiling else {
            throw CryptoError(.passwordHashingFailed, "Argon2id cost outside the accepted range")
        }
        var status: Int32 = -1
        let key = SecureBytes(count: outputByteCount) { out in
            passphrase.withUnsafeBytes { password in
                status = crypto_pwhash(
                    out.baseAddress!.assumingMemoryBound(to: UInt8.self),
                    UInt64(outputByteCount),
                    UnsafeRawPointer(password.sodiumPointer).assumingMemoryBound(to: CChar.self),
                    UInt64(password.count),
                    salt,
                    cost.operations,
                    Int(cost.memoryBytes),
                    crypto_pwhash_ALG_ARGON2ID13
                )
            }
        }
        guard status == 0 else {
            throw CryptoError(.passwordHashingFailed, "Argon2id failed (out of memory?)")
        }
        return key
    }
}
