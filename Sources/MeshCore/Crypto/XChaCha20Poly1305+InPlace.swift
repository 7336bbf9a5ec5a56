import CSodium

extension XChaCha20Poly1305 {
    /// Seals in place, for per-datagram protocols that cannot afford four allocations per packet.
    ///
    /// `buffer` holds `additional data ‖ plaintext ‖ tagByteCount spare bytes`; afterwards it holds
    /// `additional data ‖ ciphertext ‖ tag`. The first `additionalDataCount` bytes are authenticated, not encrypted.
    public static func sealInPlace(
        _ buffer: inout [UInt8],
        additionalDataCount: Int,
        key: SecureBytes,
        nonce: [UInt8]
    ) throws {
        // The caller sized the buffer (a programming error otherwise, never input from the network).
        precondition(additionalDataCount >= 0 && buffer.count >= additionalDataCount + tagByteCount)
        try key.withUnsafeBytes { keyBytes in
            try checkInPlace(keyBytes, nonce)
            let plaintextCount = buffer.count - additionalDataCount - tagByteCount
            buffer.withUnsafeMutableBufferPointer { raw in
                let base = raw.baseAddress!
                let message = base + additionalDataCount
                var outputLength: UInt64 = 0
                // libsodium allows the ciphertext to overwrite the plaintext (combined mode, same pointer).
                _ = crypto_aead_xchacha20poly1305_ietf_encrypt(
                    message,
                    &outputLength,
                    message,
                    UInt64(plaintextCount),
                    base,
                    UInt64(additionalDataCount),
                    nil,
                    nonce,
                    keyBytes.sodiumPointer
                )
            }
        }
    }

    /// Opens `additional data ‖ ciphertext ‖ tag` in place and returns the plaintext's range in `buffer`. On failure
    /// the buffer's ciphertext part is unspecified (libsodium clears it) and nothing was authenticated.
    public static func openInPlace(
        _ buffer: inout [UInt8],
        additionalDataCount: Int,
        key: SecureBytes,
        nonce: [UInt8]
    ) throws -> Range<Int> {
        guard additionalDataCount >= 0, buffer.count >= additionalDataCount + tagByteCount else {
            throw CryptoError(.authenticationFailed, "ciphertext shorter than its tag")
        }
        return try key.withUnsafeBytes { keyBytes in
            try checkInPlace(keyBytes, nonce)
            let sealedCount = buffer.count - additionalDataCount
            let status = buffer.withUnsafeMutableBufferPointer { raw in
                let base = raw.baseAddress!
                let sealed = base + additionalDataCount
                var outputLength: UInt64 = 0
                return crypto_aead_xchacha20poly1305_ietf_decrypt(
                    sealed,
                    &outputLength,
                    nil,
                    sealed,
                    UInt64(sealedCount),
                    base,
                    UInt64(additionalDataCount),
                    nonce,
                    keyBytes.sodiumPointer
                )
            }
            guard status == 0 else { throw CryptoError(.authenticationFailed, "AEAD tag does not verify") }
            return additionalDataCount..<(buffer.count - tagByteCount)
        }
    }

    private static func checkInPlace(_ key: UnsafeRawBufferPointer, _ nonce: [UInt8]) throws {
        Sodium.ensure()
        guard key.count == keyByteCount else {
            throw CryptoError(.invalidKeyLength, "XChaCha20-Poly1305 key is 32 bytes, not \(key.count)")
        }
        guard nonce.count == nonceByteCount else {
            throw CryptoError(.invalidNonceLength, "XChaCha20-Poly1305 nonce is 24 bytes, not \(nonce.count)")
        }
    }
}
