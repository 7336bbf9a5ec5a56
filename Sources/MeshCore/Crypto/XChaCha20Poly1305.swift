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
        try seal(plaintext, borrowedKey: key, nonce: nonce, authenticating: additionalData)
    }

    /// Opens ciphertext ‖ tag. Fails, without revealing why, if anything was altered.
    public static func open(
        _ sealed: [UInt8],
        key: SecureBytes,
        nonce: [UInt8],
        authenticating additionalData: [UInt8] = []
    ) throws -> [UInt8] {
        try open(sealed, borrowedKey: key, nonce: nonce, authenticating: additionalData)
    }
}
