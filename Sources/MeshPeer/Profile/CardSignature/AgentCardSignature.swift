import MeshCore

/// A2A §8.4 card signatures made and checked the MeshPeer way: a JWS (RFC 7515) with `alg` `EdDSA` (Ed25519),
/// signed by the agent's identity key, whose protected header's `kid` is the agent's did:key verification method
/// (`did:key:z6Mk…#z6Mk…`), over the RFC 8785 form of the card without `signatures` (`CardPayload`). The payload is
/// detached: the card is the payload. The entry sits in the card's `signatures` list in A2A's AgentCardSignature
/// shape (`protected`, `signature`, optional `header`).
///
/// The signing input is exactly what JWS defines, `BASE64URL(header) '.' BASE64URL(payload)`: bytes from the
/// base64url alphabet and '.', never the `len ‖ "meshpeer/…"` of a domain-separated MeshPeer signature (which has a
/// '/' at byte 9), so the identity key signing both cannot be confused (decision 0080).
public struct AgentCardSignature: Hashable, Sendable {
    /// The base64url protected header.
    public var protected: String
    /// The base64url Ed25519 signature (64 bytes).
    public var signature: String
    /// The unprotected header, when there is one (this node writes none).
    public var header: [String: JSONValue]?

    /// At most this many entries in a card's `signatures` are looked at; a card with more is refused.
    public static let maximumSignatures = 8
    /// A card to verify is at most this large (the owner's card file limit).
    public static let maximumCardBytes = CardFile.maximumBytes
    /// A protected header, base64url, is at most this long.
    public static let maximumProtectedBytes = 1_024
    public static let algorithm = "EdDSA"
    public static let type = "JOSE"

    public init(protected: String, signature: String, header: [String: JSONValue]? = nil) {
        self.protected = protected
        self.signature = signature
        self.header = header
    }

    /// The entry as JSON, as it sits in a card's `signatures`.
    public var json: JSONValue {
        var members: [String: JSONValue] = ["protected": .string(protected), "signature": .string(signature)]
        if let header { members["header"] = .object(header) }
        return .object(members)
    }

    /// The did:key verification method that names a DID's key: `did:key:z…#z…` (the did:key method's fragment is
    /// the multibase key itself).
    public static func verificationMethod(did: String) -> String {
        did + "#" + did.dropFirst(DIDKey.prefix.count)
    }

    /// The card, stripped of default values (`CardPayload.publishable`), with `signatures` replaced by one
    /// signature by `identity`. Throws when the card is not an object or has no canonical form.
    public static func sign(card: JSONValue, identity: AgentIdentity) throws(CardSignatureError) -> JSONValue {
        guard case .object(var members) = CardPayload.publishable(card) else {
            throw CardSignatureError(.malformedCard, "a card is a JSON object")
        }
        members["signatures"] = nil
        let payload = try CardPayload.canonicalBytes(of: .object(members))
        let header: JSONValue = .object([
            "alg": .string(algorithm), "kid": .string(verificationMethod(did: identity.did)), "typ": .string(type),
        ])
        let protected = Base64URL.encode(try JCS.canonicalize(header))
        let input = Array((protected + "." + Base64URL.encode(payload)).utf8)
        let signature = identity.signingKey.signature(forRaw: input)
        let entry = AgentCardSignature(protected: protected, signature: Base64URL.encode(signature.rawRepresentation))
        members["signatures"] = .array([entry.json])
        return .object(members)
    }
}
