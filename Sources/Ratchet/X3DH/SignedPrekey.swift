import MeshCore

/// A signed prekey with its signature and the instant it was made (the rotation schedule reads it).
public struct SignedPrekey: Sendable {
    public let privateKey: X25519.PrivateKey
    public let signature: Ed25519.Signature
    public let createdAt: Timestamp

    public init(privateKey: X25519.PrivateKey, signature: Ed25519.Signature, createdAt: Timestamp) {
        self.privateKey = privateKey
        self.signature = signature
        self.createdAt = createdAt
    }

    /// A fresh key signed by `identity`.
    public static func generate<R: RandomSource>(
        identity: AgentIdentity,
        now: Timestamp,
        random: inout R
    ) -> SignedPrekey {
        let key = X25519.PrivateKey(using: &random)
        let signature = identity.signingKey.signature(forRaw: PrekeyBundle.signedBytes(for: key.publicKey))
        return SignedPrekey(privateKey: key, signature: signature, createdAt: now)
    }

    public var publicKey: X25519.PublicKey { privateKey.publicKey }
}

/// When signed prekeys rotate and how many one-time prekeys are kept.
public struct PrekeySchedule: Hashable, Sendable {
    /// A new signed prekey is made this long after the current one.
    public var rotationInterval: Duration
    /// The previous signed prekey is still accepted this long after it was replaced (messages in flight), and at
    /// most until the next rotation replaces it in turn.
    public var previousKeyGrace: Duration
    /// One-time prekeys are topped up to this many (and published in the bundle).
    public var oneTimePrekeyBatch: Int

    public init(
        rotationInterval: Duration = .seconds(7 * 24 * 3_600),
        previousKeyGrace: Duration = .seconds(7 * 24 * 3_600),
        oneTimePrekeyBatch: Int = 20
    ) {
        self.rotationInterval = rotationInterval
        self.previousKeyGrace = previousKeyGrace
        self.oneTimePrekeyBatch = min(max(oneTimePrekeyBatch, 0), PrekeyBundle.maximumOneTimePrekeys)
    }
}
