import MeshCore

/// Our current ratchet key pair (DHs).
///
/// After a restore only the stored secret and public key are known: the X25519 private key (a guarded allocation
/// and a base-point multiplication) is rebuilt only when a DH ratchet step needs it, so decoding a session and
/// decrypting within a chain stay as cheap as a steady-state decrypt.
struct RatchetKeyPair: Sendable {
    let publicKey: X25519.PublicKey
    let secret: RatchetKey
    private let cached: X25519.PrivateKey?

    init(_ key: X25519.PrivateKey) {
        publicKey = key.publicKey
        secret = RatchetKey(key.rawRepresentation)
        cached = key
    }

    init(secret: RatchetKey, publicKey: X25519.PublicKey) {
        self.secret = secret
        self.publicKey = publicKey
        cached = nil
    }

    func privateKey() throws -> X25519.PrivateKey {
        if let cached { return cached }
        var bytes = secret.copyBytes()
        defer { secureZero(&bytes) }
        do {
            return try X25519.PrivateKey(rawRepresentation: SecureBytes(bytes))
        } catch {
            throw RatchetError(.corruptState, "stored ratchet key is not a key")
        }
    }
}
