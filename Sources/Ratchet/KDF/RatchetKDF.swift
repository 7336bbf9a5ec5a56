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
    static func x3dhSecret(_ dhOutputs: [SecureBytes]) -> SecureBytes {
        var material = x3dhPrefix
        for output in dhOutputs { output.withUnsafeBytes { material.append(contentsOf: $0) } }
        defer { secureZero(&material) }
        // 32 bytes from HKDF-SHA-256 never exceeds its limit.
        return try! HKDF<SHA256>.deriveKey(
            inputKeyMaterial: material,
            salt: [UInt8](repeating: 0, count: SHA256.byteCount),
            info: x3dhInfo,
            outputByteCount: keyByteCount
        )
    }

    /// KDF_RK(rk, dh) = HKDF(salt = rk, IKM = dh, info = rootInfo) split into (rk', ck[, nhk]).
    static func root(
        _ rootKey: SecureBytes,
        _ dhOutput: SecureBytes,
        withHeaderKey: Bool
    ) -> (root: SecureBytes, chain: SecureBytes, nextHeader: SecureBytes?) {
        var salt = rootKey.copyBytes()
        defer { secureZero(&salt) }
        let count = withHeaderKey ? 3 : 2
        let output = try! HKDF<SHA256>.deriveKey(
            inputKeyMaterial: dhOutput,
            salt: salt,
            info: rootInfo,
            outputByteCount: count * keyByteCount
        )
        let parts = split(output, count: count)
        return (parts[0], parts[1], withHeaderKey ? parts[2] : nil)
    }

    /// KDF_CK(ck) = (HMAC(ck, 0x02), HMAC(ck, 0x01)): the next chain key and this message's key.
    static func chain(_ chainKey: SecureBytes) -> (chain: SecureBytes, message: SecureBytes) {
        var next = HMAC<SHA256>.authenticationCode(for: chainKeyConstant, key: chainKey)
        var message = HMAC<SHA256>.authenticationCode(for: messageKeyConstant, key: chainKey)
        defer {
            secureZero(&next)
            secureZero(&message)
        }
        return (SecureBytes(next), SecureBytes(message))
    }

    /// The initial header keys: HKDF(salt = 32 zero bytes, IKM = SK, info = headerKeysInfo), 64 bytes split into
    /// (initiator's sending header key, responder's next sending header key).
    static func initialHeaderKeys(_ sharedSecret: SecureBytes) -> (initiator: SecureBytes, responder: SecureBytes) {
        let output = try! HKDF<SHA256>.deriveKey(
            inputKeyMaterial: sharedSecret,
            salt: [UInt8](repeating: 0, count: SHA256.byteCount),
            info: headerKeysInfo,
            outputByteCount: 2 * keyByteCount
        )
        let parts = split(output, count: 2)
        return (parts[0], parts[1])
    }

    /// ENCRYPT's key schedule: HKDF(salt = 32 zero bytes, IKM = mk, info = messageKeyInfo), 56 bytes: an
    /// XChaCha20-Poly1305 key (32) and nonce (24). Each mk is used once, so a derived nonce never repeats.
    static func messageCipher(_ messageKey: SecureBytes) -> (key: SecureBytes, nonce: [UInt8]) {
        let output = try! HKDF<SHA256>.deriveKey(
            inputKeyMaterial: messageKey,
            salt: [UInt8](repeating: 0, count: SHA256.byteCount),
            info: messageKeyInfo,
            outputByteCount: keyByteCount + XChaCha20Poly1305.nonceByteCount
        )
        return output.withUnsafeBytes { raw in
            (SecureBytes(raw.prefix(keyByteCount)), Array(raw.suffix(XChaCha20Poly1305.nonceByteCount)))
        }
    }

    private static func split(_ bytes: SecureBytes, count: Int) -> [SecureBytes] {
        bytes.withUnsafeBytes { raw in
            (0..<count).map { index in
                SecureBytes(raw[(index * keyByteCount)..<((index + 1) * keyByteCount)])
            }
        }
    }
}
