import MeshCore

/// The two direction keys of a direct channel, derived inside the end-to-end session that carried the ICE offer.
///
/// `HKDF-SHA-256(ikm: session secret, salt: empty, info: label ‖ initiator key ‖ responder key ‖ context)` gives 64
/// bytes: initiator → responder, then responder → initiator. Binding both Ed25519 identities and the ICE
/// credentials (`context`) means a key works for exactly this pair of agents and this connection attempt.
public struct ChannelKeys: Sendable {
    static let label = Array("meshpeer/v1/direct-path".utf8)

    public let initiatorToResponder: SecureBytes
    public let responderToInitiator: SecureBytes

    public init(
        sessionSecret: SecureBytes,
        initiator: Ed25519.PublicKey,
        responder: Ed25519.PublicKey,
        context: [UInt8]
    ) throws {
        let info = ChannelKeys.label + initiator.rawRepresentation + responder.rawRepresentation + context
        let okm = try HKDF<SHA256>.deriveKey(inputKeyMaterial: sessionSecret, salt: [], info: info, outputByteCount: 64)
        var bytes = okm.copyBytes()
        defer { secureZero(&bytes) }
        initiatorToResponder = SecureBytes(bytes.prefix(32))
        responderToInitiator = SecureBytes(bytes.suffix(32))
    }

    /// The send and receive keys for one side.
    public func protection(isInitiator: Bool) -> (send: SecureBytes, receive: SecureBytes) {
        isInitiator ? (initiatorToResponder, responderToInitiator) : (responderToInitiator, initiatorToResponder)
    }
}
