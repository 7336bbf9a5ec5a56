import MeshCore

/// The key derivations of X3DH and the Double Ratchet, with every info string and constant in one place.
///
/// All are HKDF-SHA-256 or HMAC-SHA-256 (libsodium has both; the spec recommends either SHA-256 or SHA-512).
/// docs/ratchet.md restates each input; the Python interop peer configures `x3dh`/`doubleratchet` with the same.
public enum RatchetKDF {
    /// X3DH's HKDF info ("our own documented info string").
    public static let x3dhInfo = Array("meshpeer/v1/x3dh".utf8)
    /// KDF_RK's HKDF info. The header-encryption variant reads 96 bytes instead of 64 from the same HKDF, so the
    /// root and chain keys are the same in both variants and the third 32 bytes are the next header key.
    public static let rootInfo = Array("meshpeer/v1/ratchet/root".utf8)
    /// The two initial header keys (HKs of the initiator, NHKs of the responder) come from SK under this info.
    public static let headerKeysInfo = Array("meshpeer/v1/ratchet/header-keys".utf8)
    /// ENCRYPT's HKDF info: a message key expands to an XChaCha20-Poly1305 key and nonce.
    public static let messageKeyInfo = Array("meshpeer/v1/ratchet/message-key".utf8)
    /// KDF_CK's HMAC inputs, as the spec recommends: mk = HMAC(ck, 0x01), ck' = HMAC(ck, 0x02).
    public static let messageKeyConstant: [UInt8] = [0x01]
    public static let chainKeyConstant: [UInt8] = [0x02]
    /// X3DH's F: 32 bytes of 0xFF before the DH outputs (the spec's prefix for X25519).
    public static let x3dhPrefix = [UInt8](repeating: 0xFF, count: 32)

    public static let keyByteCount = 32

    /// X3DH: SK = HKDF(salt = 32 zero bytes, IKM = F ‖ DH1 ‖ DH2 ‖ DH3 [‖ DH4], info = x3dhInfo), 32 bytes.
    static func x3dhSecret(_ dhOutputs: [SecureBytes]) -> RatchetKey {
        var material = x3dhPrefix
        for output in dhOutputs { output.withUnsafeBytes { material.append(contentsOf: $0) } }
        defer { secureZero(&material) }
        return RatchetKey(
            hkdf(salt: zeroSalt, inputKeyMaterial: material, info: x3dhInfo, outputByteCount: keyByteCount)
        )
    }

    /// KDF_RK(rk, dh) = HKDF(salt = rk, IKM = dh, info = rootInfo) split into (rk', ck[, nhk]).
    static func root(
        _ rootKey: RatchetKey,
        _ dhOutput: SecureBytes,
        withHeaderKey: Bool
    ) -> (root: RatchetKey, chain: RatchetKey, nextHeader: RatchetKey?) {
        let count = withHeaderKey ? 3 : 2
        let parts = split(
            hkdf(salt: rootKey, inputKeyMaterial: dhOutput, info: rootInfo, outputByteCount: count * keyByteCount),
            count: count
        )
        return (parts[0], parts[1], withHeaderKey ? parts[2] : nil)
    }

    /// KDF_CK(ck) = (HMAC(ck, 0x02), HMAC(ck, 0x01)): the next chain key and this message's key.
    static func chain(_ chainKey: RatchetKey) -> (chain: RatchetKey, message: RatchetKey) {
        (
            RatchetKey(consuming: HMAC<SHA256>.authenticationCode(for: chainKeyConstant, key: chainKey)),
            RatchetKey(consuming: HMAC<SHA256>.authenticationCode(for: messageKeyConstant, key: chainKey))
        )
    }

    /// The initial header keys: HKDF(salt = 32 zero bytes, IKM = SK, info = headerKeysInfo), 64 bytes split into
    /// (initiator's sending header key, responder's next sending header key).
    static func initialHeaderKeys(_ sharedSecret: RatchetKey) -> (initiator: RatchetKey, responder: RatchetKey) {
        let parts = split(
            hkdf(
                salt: zeroSalt,
                inputKeyMaterial: sharedSecret,
                info: headerKeysInfo,
                outputByteCount: 2 * keyByteCount
            ),
            count: 2
        )
        return (parts[0], parts[1])
    }

    /// ENCRYPT's key schedule: HKDF(salt = 32 zero bytes, IKM = mk, info = messageKeyInfo), 56 bytes: an
    /// XChaCha20-Poly1305 key (32) and nonce (24). Each mk is used once, so a derived nonce never repeats.
    static func messageCipher(_ messageKey: RatchetKey) -> (key: RatchetKey, nonce: [UInt8]) {
        let okm = hkdf(
            salt: zeroSalt,
            inputKeyMaterial: messageKey,
            info: messageKeyInfo,
            outputByteCount: keyByteCount + XChaCha20Poly1305.nonceByteCount
        )
        // The nonce is not secret; the key is copied from zeroed-on-release memory into zeroed-on-release memory.
        return (part(of: okm, at: 0), okm.withUnsafeBytes { Array($0.suffix(XChaCha20Poly1305.nonceByteCount)) })
    }

    static let zeroSalt = [UInt8](repeating: 0, count: SHA256.byteCount)

    /// HKDF-SHA-256 (RFC 5869): MeshCore's `HKDF`, whose PRK and output live in `SecureBytes` (ordinary heap,
    /// zeroed on release; decision 0014 measured why not libsodium's guarded heap). The salt is read in place, so
    /// a root key used as salt is never copied into an unzeroed array. Every output length here is a constant of at
    /// most 3 blocks, far under HKDF's 255-block limit, so the `try!` cannot fail. The known-answer tests pin the
    /// result against an independent implementation.
    static func hkdf<S: ContiguousByteStorage, K: ContiguousByteStorage>(
        salt: S,
        inputKeyMaterial: K,
        info: [UInt8],
        outputByteCount: Int
    ) -> SecureBytes {
        try! HKDF<SHA256>.deriveKey(
            inputKeyMaterial: inputKeyMaterial,
            secretSalt: salt,
            info: info,
            outputByteCount: outputByteCount
        )
    }

    private static func split(_ bytes: SecureBytes, count: Int) -> [RatchetKey] {
        (0..<count).map { part(of: bytes, at: $0 * keyByteCount) }
    }

    /// The 32 bytes of `bytes` from `offset`, copied straight into a key's own zeroed-on-release storage.
    private static func part(of bytes: SecureBytes, at offset: Int) -> RatchetKey {
        RatchetKey(
            SecureBytes(count: keyByteCount) { destination in
                bytes.withUnsafeBytes { source in
                    destination.copyMemory(
                        from: UnsafeRawBufferPointer(rebasing: source[offset..<(offset + keyByteCount)])
                    )
                }
            }
        )
    }
}
