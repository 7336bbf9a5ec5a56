import MeshCore

extension AgentCardSignature {
    /// The bytes one signature by `did` adds to a card's canonical JSON: `,"signatures":[{…}]`. It depends only on
    /// the DID (the header names it; an Ed25519 signature is always 64 bytes), so a card compacted to the record's
    /// budget less this still fits once signed.
    public static func reservedBytes(did: String) -> Int {
        let header: JSONValue = .object([
            "alg": .string(algorithm), "kid": .string(verificationMethod(did: did)), "typ": .string(type),
        ])
        let protected = Base64URL.encode((try? JCS.canonicalize(header)) ?? [])
        let entry = AgentCardSignature(
            protected: protected,
            signature: Base64URL.encode([UInt8](repeating: 0, count: Ed25519.signatureByteCount))
        )
        let member = (try? JCS.canonicalize(.object(["signatures": .array([entry.json])]))) ?? []
        // `{"signatures":[…]}` less its braces, plus the comma that joins it to the card's other members.
        return member.count - 2 + 1
    }
}
