import CSodium

/// XSalsa20-Poly1305 (`crypto_secretbox`), used to seal key files under a passphrase-derived key.
public enum SecretBox {
    public static let keyByteCount = Int(crypto_secretbox_KEYBYTES)
    public static let nonceByteCount = Int(crypto_secretbox_NONCEBYTES)
    public static let tagByteCount = Int(crypto_secretbox_MACBYTES)

    public static func seal(_ plaintext: SecureBytes, key: SecureBytes, nonce: [UInt8]) throws -> [UInt8] {
        try check(key: key, nonce: nonce)
        var output = [UInt8](repeating: 0, count: plaintext.count + tagByteCount)
        plaintext.withUnsafeBytes { message in
            key.withUnsafeBytes { keyBytes in
                _ = crypto_secretbox_easy(
                    &output,
                    message.bindMemory(to: UInt8.self).baseAddress,
                    UInt64(message.count),
                    nonce,
                    keyBytes.bindMemory(to: UInt8.self).baseAddress!
                )
            }
        }
        return output
    }

    /// Decrypts straight into zeroed-on-release memory.
    public static func open(_ sealed: [UInt8], key: SecureBytes, nonce: [UInt8]) throws -> SecureBytes {
        try check(key: key, nonce: nonce)
        guard sealed.count >= tagByteCount else {
            throw CryptoError(.authenticationFailed, "sealed box shorter than its tag")
        }
        var status: Int32 = -1
        let plaintext = SecureBytes(count: sealed.count - tagByteCount) { out in
            key.withUnsafeBytes { keyBytes in
                status = crypto_secretbox_open_easy(
                    out.baseAddress?.assumingMemoryBound(to: UInt8.self),
                    sealed,
                    UInt64(sealed.count),
                    nonce,
                    keyBytes.bindMemory(to: UInt8.self).baseAddress!
                )
            }
        }
        guard status == 0 else {
            throw CryptoError(.authenticationFailed, "wrong passphrase or corrupted key file")
        }
        return plaintext
    }

    private static func check(key: SecureBytes, nonce: [UInt8]) throws {
        Sodium.ensure()
        guard key.count == keyByteCount else {
            throw CryptoError(.invalidKeyLength, "secretbox key is 32 bytes, not \(key.count)")
        }
        guard nonce.count == nonceByteCount else {
            throw CryptoError(.invalidNonceLength, "secretbox nonce is 24 bytes, not \(nonce.count)")
        }
    }
}
