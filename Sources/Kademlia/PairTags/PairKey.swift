import MeshCore

/// The secret two DHT nodes share, and nobody else can compute: HKDF-SHA256 over the X25519 agreement of one
/// node's key with the other's (each Ed25519 key mapped to Montgomery form, as an agent's identity key is for X3DH,
/// decision 0003), salted with a label of its own and bound to both public keys in a fixed order, so both ends
/// derive the same key and it can serve no other protocol (decision 0124).
///
/// It costs one scalar multiplication, about what one signature verification costs, and is then kept
/// (`PairKeys`): every later datagram between the two is authenticated by an HMAC under it instead of a signature
/// and a verification.
public struct PairKey: Sendable {
    static let salt = Array("meshpeer/v1/dht-pair-key".utf8)
    static let byteCount = 32

    /// Wiped when the last copy goes (`SecureBytes`).
    let secret: SecureBytes

    /// Throws for a peer key with no Montgomery form, or of small order (its agreement would be predictable).
    public init(local: X25519.PrivateKey, localKey: Ed25519.PublicKey, peer: Ed25519.PublicKey) throws {
        let shared = try local.sharedSecret(with: try peer.agreementKey())
        let (first, second) =
            localKey.rawRepresentation.lexicographicallyPrecedes(peer.rawRepresentation)
            ? (localKey, peer) : (peer, localKey)
        let prk = HKDF<SHA256>.extract(inputKeyMaterial: shared, salt: PairKey.salt)
        secret = try HKDF<SHA256>.expand(
            pseudoRandomKey: prk,
            info: first.rawRepresentation + second.rawRepresentation,
            outputByteCount: PairKey.byteCount
        )
    }

    /// HMAC-SHA256 under the pair key.
    func tag(_ input: [UInt8]) -> [UInt8] {
        HMAC<SHA256>.authenticationCode(for: input, key: secret)
    }
}
