import CSodium

extension XChaCha20Poly1305 {
    /// `seal` with the key lent by any contiguous storage, not only a `SecureBytes`.
    ///
    /// For keys that live for one message (the Ratchet's message keys, decision 0014) and so never need a
    /// `SecureBytes` of their own; the caller zeroes the key. The `SecureBytes` overloads delegate here.
    public static func seal<K: ContiguousByteStorage>(
        _ plaintext: [UInt8],
        borrowedKey key: K,
        nonce: [UInt8],
        authenticating additionalData: [UInt8] = []
    ) throws -> [UInt8] {
        try key.withUnsafeBytes { keyBytes in
            try checkBorrowed(keyBytes, nonce)
            var output = [UInt8](repeating: 0, count: plaintext.count + tagByteCount)
            var outputLength: UInt64 = 0
            _ = crypto_aead_xchacha20poly1305_ietf_encrypt(
                &output,
                &outputLength,
                plaintext,
                UInt64(plaintext.count),
                additionalData,
                UInt64(additionalData.count),
                nil,
                nonce,
                keyBytes.sodiumPointer
            )
            return output
        }
    }

    /// `open` with a borrowed key (see `seal(_:borrowedKey:nonce:authenticating:)`).
    public static func open<K: ContiguousByteStorage>(
        _ sealed: [UInt8],
        borrowedKey key: K,
        nonce: [UInt8],
        authenticating additionalData: [UInt8] = []
    ) throws -> [UInt8] {
        try key.withUnsafeBytes { keyBytes in
            try checkBorrowed(keyBytes, nonce)
            guard sealed.count >= tagByteCount else {
                throw CryptoError(.authenticationFailed, "ciphertext shorter than its tag")
            }
            var output = [UInt8](repeating: 0, count: sealed.count - tagByteCount)
            var outputLength: UInt64 = 0
            let status = crypto_aead_xchacha20poly1305_ietf_decrypt(
                &output,
                &outputLength,
                nil,
                sealed,
                UInt64(sealed.count),
                additionalData,
                UInt64(additionalData.count),
                nonce,
                keyBytes.sodiumPointer
            )
            guard status == 0 else {
                secureZero(&output)
                throw CryptoError(.authenticationFailed, "AEAD tag does not verify")
            }
            return output
        }
    }

    private static func checkBorrowed(_ key: UnsafeRawBufferPointer, _ nonce: [UInt8]) throws {
        Sodium.ensure()
        guard key.count == keyByteCount else {
            throw CryptoError(.invalidKeyLength, "XChaCha20-Poly1305 key is 32 bytes, not \(key.count)")
        }
        guard nonce.count == nonceByteCount else {
            throw CryptoError(.invalidNonceLength, "XChaCha20-Poly1305 nonce is 24 bytes, not \(nonce.count)")
        }
    }
}
