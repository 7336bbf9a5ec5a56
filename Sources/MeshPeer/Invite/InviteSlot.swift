import Kademlia
import MeshCore

/// The keys one invite derives (decision 0082): a pseudonymous Ed25519 key that signs the sealed record and names
/// its DHT key, and an XChaCha20-Poly1305 key that seals the agent record inside. Both come from the invite's
/// secret and the agent's DID by HKDF-SHA-256 under their own labels, so neither reveals the other, the secret or
/// the DID, and two invites' slots cannot be linked without a secret.
public struct InviteSlot: Sendable {
    public let signingKey: Ed25519.PrivateKey
    let sealKey: SecureBytes

    public init(secret: SecureBytes, did: String) {
        signingKey = try! Ed25519.PrivateKey(seed: InviteSlot.derive(secret, did, "meshpeer/v1/invite/slot-key"))
        sealKey = InviteSlot.derive(secret, did, "meshpeer/v1/invite/seal-key")
    }

    public init(_ invite: Invite) { self.init(secret: invite.secret, did: invite.did) }

    public var slotKey: Ed25519.PublicKey { signingKey.publicKey }
    /// Where the sealed record lives in the DHT.
    public var key: NodeID { SealedRecord.key(forSlot: slotKey) }
    /// A short public name for the invite (the first 6 bytes of its DHT key, hex): safe to show and log, since
    /// the DHT key is public to whoever stores the record.
    public var id: String { Hex.encode(Array(key.bytes.prefix(6))) }

    static func derive(_ secret: SecureBytes, _ did: String, _ label: String) -> SecureBytes {
        // 32 bytes is far below HKDF's limit, so this cannot throw.
        try! HKDF<SHA256>.deriveKey(
            inputKeyMaterial: secret,
            salt: Array("meshpeer/v1/invite".utf8),
            info: Array(label.utf8) + [0] + Array(did.utf8),
            outputByteCount: 32
        )
    }
}
