/// HKDF (RFC 5869) built on `HMAC`, because libsodium 1.0.18 has no HKDF API.
public enum HKDF<H: HMACHash> {
    /// Extract: PRK = HMAC(salt, IKM). An empty salt means HashLen zero bytes, as the RFC says.
    public static func extract<K: ContiguousByteStorage>(inputKeyMaterial: K, salt: [UInt8]) -> SecureBytes {
        let effectiveSalt = salt.isEmpty ? [UInt8](repeating: 0, count: H.byteCount) : salt
        return extract(inputKeyMaterial: inputKeyMaterial, secretSalt: effectiveSalt)
    }

    /// Extract with a salt that is itself a secret (the Double Ratchet salts KDF_RK with the root key), read in
    /// place so it is never copied into an ordinary array. The salt is used as given (HMAC pads an empty key with
    /// zeros, so an empty salt gives the same PRK as the overload above).
    public static func extract<K: ContiguousByteStorage, S: ContiguousByteStorage>(
        inputKeyMaterial: K,
        secretSalt salt: S
    ) -> SecureBytes {
        var prk = HMAC<H>.authenticationCode(for: inputKeyMaterial, key: salt)
        defer { secureZero(&prk) }
        return SecureBytes(prk)
    }

    /// Expand: T(i) = HMAC(PRK, T(i-1) ‖ info ‖ i), up to 255 × HashLen bytes.
    public static func expand(
        pseudoRandomKey prk: SecureBytes,
        info: [UInt8],
        outputByteCount: Int
    ) throws -> SecureBytes {
        guard outputByteCount >= 0, outputByteCount <= 255 * H.byteCount else {
            throw CryptoError(.outputTooLong, "HKDF output is limited to \(255 * H.byteCount) bytes")
        }
        var okm: [UInt8] = []
        okm.reserveCapacity(outputByteCount)
        var previous: [UInt8] = []
        var counter: UInt8 = 1
        while okm.count < outputByteCount {
            var block = previous + info + [counter]
            // T(i-1) is output key material: wipe it before its buffer is dropped for T(i).
            secureZero(&previous)
            previous = HMAC<H>.authenticationCode(for: block, key: prk)
            secureZero(&block)
            okm.append(contentsOf: previous.prefix(outputByteCount - okm.count))
            counter &+= 1
        }
        secureZero(&previous)
        defer { secureZero(&okm) }
        return SecureBytes(okm)
    }

    /// Extract with a secret salt, then expand (see `extract(inputKeyMaterial:secretSalt:)`).
    public static func deriveKey<K: ContiguousByteStorage, S: ContiguousByteStorage>(
        inputKeyMaterial: K,
        secretSalt salt: S,
        info: [UInt8],
        outputByteCount: Int
    ) throws -> SecureBytes {
        try expand(
            pseudoRandomKey: extract(inputKeyMaterial: inputKeyMaterial, secretSalt: salt),
            info: info,
            outputByteCount: outputByteCount
        )
    }

    /// Extract then expand.
    public static func deriveKey<K: ContiguousByteStorage>(
        inputKeyMaterial: K,
        salt: [UInt8],
        info: [UInt8],
        outputByteCount: Int
    ) throws -> SecureBytes {
        try expand(
            pseudoRandomKey: extract(inputKeyMaterial: inputKeyMaterial, salt: salt),
            info: info,
            outputByteCount: outputByteCount
        )
    }
}
