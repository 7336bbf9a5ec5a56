import MeshCore

/// One Double Ratchet session (Signal's spec, revision 4), with or without header encryption.
///
/// A pure value: every method that changes state is `mutating` and works on a copy that replaces `self` only on
/// success, so a message that fails to decrypt leaves the session exactly as it was. Randomness (new ratchet
/// keys, header nonces) comes from the caller's `RandomSource`.
public struct DoubleRatchet: Sendable {
    /// Header encryption (the spec's section 4) is on in MeshPeer; `false` is the plain variant, kept for interop
    /// tests against the Python `doubleratchet` package.
    public let headerEncryption: Bool
    public let associatedData: [UInt8]
    public var limits: RatchetLimits

    var rootKey: RatchetKey
    var sendingRatchetKey: RatchetKeyPair
    var remoteRatchetKey: X25519.PublicKey?
    var sendingChainKey: RatchetKey?
    var receivingChainKey: RatchetKey?
    var sendCount: UInt32 = 0
    var receiveCount: UInt32 = 0
    var previousSendCount: UInt32 = 0
    var sendingHeaderKey: RatchetKey?
    var receivingHeaderKey: RatchetKey?
    var nextSendingHeaderKey: RatchetKey?
    var nextReceivingHeaderKey: RatchetKey?
    var skipped = SkippedMessageKeys()

    /// The initiator (Alice): knows the responder's ratchet key (its signed prekey) and can send at once.
    public static func initiator<R: RandomSource>(
        sharedSecret: RatchetKey,
        associatedData: [UInt8],
        remoteRatchetKey: X25519.PublicKey,
        headerEncryption: Bool = true,
        limits: RatchetLimits = .default,
        random: inout R
    ) throws -> DoubleRatchet {
        let secret = sharedSecret
        var state = DoubleRatchet(
            headerEncryption: headerEncryption,
            associatedData: associatedData,
            limits: limits,
            rootKey: secret,
            sendingRatchetKey: RatchetKeyPair(X25519.PrivateKey(using: &random))
        )
        state.remoteRatchetKey = remoteRatchetKey
        let derived = RatchetKDF.root(
            secret,
            try X3DH.dh(state.sendingRatchetKey.privateKey(), remoteRatchetKey),
            withHeaderKey: headerEncryption
        )
        state.rootKey = derived.root
        state.sendingChainKey = derived.chain
        state.nextSendingHeaderKey = derived.nextHeader
        if headerEncryption {
            let initial = RatchetKDF.initialHeaderKeys(secret)
            state.sendingHeaderKey = initial.initiator
            state.nextReceivingHeaderKey = initial.responder
        }
        return state
    }

    /// The responder (Bob): its ratchet key is the signed prekey the initiator used; it sends after it receives.
    public static func responder(
        sharedSecret: RatchetKey,
        associatedData: [UInt8],
        ratchetKey: X25519.PrivateKey,
        headerEncryption: Bool = true,
        limits: RatchetLimits = .default
    ) -> DoubleRatchet {
        let secret = sharedSecret
        var state = DoubleRatchet(
            headerEncryption: headerEncryption,
            associatedData: associatedData,
            limits: limits,
            rootKey: secret,
            sendingRatchetKey: RatchetKeyPair(ratchetKey)
        )
        if headerEncryption {
            let initial = RatchetKDF.initialHeaderKeys(secret)
            state.nextSendingHeaderKey = initial.responder
            state.nextReceivingHeaderKey = initial.initiator
        }
        return state
    }

    init(
        headerEncryption: Bool,
        associatedData: [UInt8],
        limits: RatchetLimits,
        rootKey: RatchetKey,
        sendingRatchetKey: RatchetKeyPair
    ) {
        self.headerEncryption = headerEncryption
        self.associatedData = associatedData
        self.limits = limits
        self.rootKey = rootKey
        self.sendingRatchetKey = sendingRatchetKey
    }

    /// Whether `encrypt` can be called (a responder cannot before its first received message).
    public var canSend: Bool { sendingChainKey != nil }
    /// How many skipped message keys are stored (bounded by `limits.maximumStoredSkippedKeys`).
    public var storedSkippedKeyCount: Int { skipped.count }
    /// Our current ratchet public key (what the next header will carry).
    public var ratchetPublicKey: X25519.PublicKey { sendingRatchetKey.publicKey }
}

/// One encrypted Double Ratchet message: the header (sealed or plain) and the body.
public struct RatchetMessage: Hashable, Sendable {
    /// 80 bytes with header encryption (`nonce (24) ‖ sealed header (56)`), else the plain 40-byte header.
    public let header: [UInt8]
    /// XChaCha20-Poly1305 ciphertext ‖ 16-byte tag.
    public let ciphertext: [UInt8]

    public init(header: [UInt8], ciphertext: [UInt8]) {
        self.header = header
        self.ciphertext = ciphertext
    }

    public static let encryptedHeaderByteCount =
        XChaCha20Poly1305.nonceByteCount + RatchetHeader.byteCount + XChaCha20Poly1305.tagByteCount
}
