import MeshCore

/// The login handshake: the relay sends a fresh nonce, the client signs it under `.relayChallenge`.
///
/// The signed message is `relay node ID (32) ‖ nonce (32) ‖ client public key (32)`:
/// - the relay's node ID binds the answer to one relay, so a malicious relay cannot pass another relay's
///   challenge through to a client and log in as that client there;
/// - the nonce is drawn per connection, so a captured answer never verifies on any other connection;
/// - the client's key is included so the answer cannot be re-attributed to another key;
/// - the domain label keeps the signature from being valid as anything else MeshPeer signs.
public enum RelayAuth {
    public static func signedBytes(relay: NodeID, nonce: [UInt8], client: Ed25519.PublicKey) -> [UInt8] {
        relay.bytes + nonce + client.rawRepresentation
    }

    /// The client's answer. When the client knows which relay it meant to reach (from the relay's advert), a
    /// challenge from any other key is refused before anything is signed.
    public static func answer(
        _ challenge: RelayChallenge,
        identity: AgentIdentity,
        expectedRelay: Ed25519.PublicKey?
    ) throws -> RelayAuthentication {
        if let expectedRelay, expectedRelay != challenge.relayKey {
            throw RelayRefusal(.badSignature, "the relay presented key \(challenge.relayKey), not the expected one")
        }
        let message = signedBytes(
            relay: NodeID(publicKey: challenge.relayKey),
            nonce: challenge.nonce,
            client: identity.publicKey
        )
        return RelayAuthentication(
            clientKey: identity.publicKey,
            signature: identity.sign(message, domain: .relayChallenge)
        )
    }

    /// The relay's check of an answer against the challenge it issued on this connection.
    public static func verify(_ login: RelayAuthentication, issued challenge: RelayChallenge) -> Bool {
        let message = signedBytes(
            relay: NodeID(publicKey: challenge.relayKey),
            nonce: challenge.nonce,
            client: login.clientKey
        )
        return login.clientKey.isValidSignature(login.signature, for: message, domain: .relayChallenge)
    }
}
