import MeshCore

/// The two direction keys of a direct channel, derived inside the end-to-end session that carried the ICE offer.
///
/// `HKDF-SHA-256(ikm: session secret, salt: empty, info: label ‖ cipher ‖ 0 ‖ initiator key ‖ responder key ‖
/// context)` gives 64 bytes: initiator → responder, then responder → initiator. Binding both Ed25519 identities
/// and the ICE credentials (`context`) means a key works for exactly this pair of agents and this connection
/// attempt; binding the cipher means two ends that disagree on it share no key at all.
public struct ChannelKeys: Sendable {
    static let label = Array("meshpeer/v1/direct-path".utf8)

    public let cipher: ChannelCipher
    public let initiatorToResponder: SecureBytes
    public let responderToInitiator: SecureBytes
    /// AES-256-GCM key schedules, expanded once (nil for XChaCha20-Poly1305).
    private let expanded: (initiatorToResponder: AES256GCM.Key, responderToInitiator: AES256GCM.Key)?

    /// Throws `CryptoError(.unsupported)` for AES-256-GCM on a CPU without AES-NI (`ChannelCipher.supported`
    /// never offers it there).
    public init(
        sessionSecret: SecureBytes,
        initiator: Ed25519.PublicKey,
        responder: Ed25519.PublicKey,
        context: [UInt8],
        cipher: ChannelCipher = .xchacha20Poly1305
    ) throws {
        let info =
            ChannelKeys.label + Array(cipher.rawValue.utf8) + [0] + initiator.rawRepresentation
            + responder.rawRepresentation + context
        let okm = try HKDF<SHA256>.deriveKey(inputKeyMaterial: sessionSecret, salt: [], info: info, outputByteCount: 64)
        var bytes = okm.copyBytes()
        defer { secureZero(&bytes) }
        self.cipher = cipher
        initiatorToResponder = SecureBytes(bytes.prefix(32))
        responderToInitiator = SecureBytes(bytes.suffix(32))
        switch cipher {
        case .aes256GCM:
            expanded = (try AES256GCM.Key(initiatorToResponder), try AES256GCM.Key(responderToInitiator))
        case .xchacha20Poly1305:
            expanded = nil
        }
    }

    /// The send and receive keys for one side.
    public func protection(isInitiator: Bool) -> (send: SecureBytes, receive: SecureBytes) {
        isInitiator ? (initiatorToResponder, responderToInitiator) : (responderToInitiator, initiatorToResponder)
    }

    /// The keys one side's packet protection uses.
    func packetKeys(isInitiator: Bool) -> PacketKeys {
        if let expanded {
            return isInitiator
                ? .aes256GCM(send: expanded.initiatorToResponder, receive: expanded.responderToInitiator)
                : .aes256GCM(send: expanded.responderToInitiator, receive: expanded.initiatorToResponder)
        }
        let (send, receive) = protection(isInitiator: isInitiator)
        return .xchacha20Poly1305(send: send, receive: receive)
    }
}

/// One side's packet keys, in the form its cipher uses them.
enum PacketKeys: Sendable {
    case xchacha20Poly1305(send: SecureBytes, receive: SecureBytes)
    case aes256GCM(send: AES256GCM.Key, receive: AES256GCM.Key)
}
