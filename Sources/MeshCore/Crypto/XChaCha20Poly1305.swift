import CSodium

/// XChaCha20-Poly1305 AEAD (IETF construction, draft-irtf-cfrg-xchacha): 256-bit keys, 192-bit nonces that are
/// safe to draw at random, 16-byte tags.
public enum XChaCha20Poly1305 {
    public static let keyByteCount = Int(crypto_aead_xchacha20poly1305_ietf_KEYBYTES)
    public static let nonceByteCount = Int(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES)
    public static let tagByteCount = Int(crypto_aead_xchacha20poly1305_ietf_ABYTES)

    /// Returns ciphertext ‖ tag.
    public static func seal(
        _ plaintext: [UInt8],
        key: SecureBytes,
        nonce: [UInt8],
        authenticating additionalData: [UInt8] = []
    ) throws -> [UInt8] {
        try check(key: key, nonce: nonce)
        var output = [UInt8](repeating: 0, count: plaintext.count + tagByteCount)
        var outputLength: UInt64 = 0
        key.withUnsafeBytes { keyBytes in
            _ = crypto_aead_xchacha20poly1305_ietf_encrypt(
                &output,
                &outputLength,
                plaintext,
                UInt64(plaintext.count),
                additionalData,
                UInt64(additionalData.count),
                nil,
                nonce,
                keyBytes.bindMemory(to: UInt8.self).baseAddress!
            )
        }
        return output
    }

    /// Opens ciphertext ‖ tag. Fails, without revealing why, if anything was altered.
    public static func open(
        _ sealed: [UInt8],
        key: SecureBytes,
        nonce: [UInt8],
        authenticating additionalData: [UInt8] = []
    ) throws -> [UInt8] {
        try check(key: key, nonce: nonce)
        guard sealed.count >= tagByteCount else {
            throw CryptoError(.authenticationFailed, "ciphertext shorter than its tag")
        }
        var output = [UInt8](repeating: 0, count: sealed.count - tagByteCount)
        var outputLength: UInt64 = 0
        let status = key.withUnsafeBytes { keyBytes in
            crypto_aead_xchacha20poly1305_ietf_decrypt(
                &output,
                &outputLength,
                nil,
                sealed,
                UInt64(sealed.count),
                additionalData,
                UInt64(additionalData.count),
                nonce,
                keyBytes.bindMemory(to: UInt8.self).baseAddress!
            )
        }
        guard status == 0 else {
            secureZero(&output)
            throw CryptoError(.authenticationFailed, "AEAD tag does not verify")
        }
        return output
    }

    private static func check(key: SecureBytes, nonce: [UInt8]) throws {
        Sodium.ensure()
        guard key.count == keyByteCount else {
            throw CryptoError(.invalidKeyLength, "XChaCha20-Poly1305 key is 32 bytes, not \(key.count)")
        }
        guard nonce.count == nonceByteCount else {
            throw CryptoError(.invalidNonceLength, "XChaCha20-Poly1305 nonce is 24 bytes, not \(nonce.count)")
        }
    }
}
