/// An agent's long-term identity: an Ed25519 signing key, and the X25519 agreement key derived from it.
///
/// The DID and node ID are derived from the public key, so an identity is fully described by its 32-byte seed.
public struct AgentIdentity: Sendable {
    public let signingKey: Ed25519.PrivateKey
    public let agreementKey: X25519.PrivateKey

    public init(signingKey: Ed25519.PrivateKey) throws {
        self.signingKey = signingKey
        self.agreementKey = try signingKey.agreementKey()
    }

    public static func generate<R: RandomSource>(using random: inout R) -> AgentIdentity {
        // Conversion of a freshly generated key cannot fail (libsodium only rejects malformed secret keys).
        try! AgentIdentity(signingKey: Ed25519.PrivateKey(using: &random))
    }

    public var publicKey: Ed25519.PublicKey { signingKey.publicKey }
    public var did: String { publicKey.did }
    public var nodeID: NodeID { NodeID(publicKey: publicKey) }

    public func sign(_ message: [UInt8], domain: SignatureDomain) -> Ed25519.Signature {
        signingKey.signature(for: message, domain: domain)
    }
}
