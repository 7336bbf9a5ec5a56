import MeshCore

/// What an initiator sends with its first messages so the responder can run its half of X3DH.
public struct X3DHInitialHeader: Hashable, Sendable {
    /// IK_A: the initiator's Ed25519 identity key (its X25519 form is derived, decision 0003).
    public let identityKey: Ed25519.PublicKey
    /// EK_A.
    public let ephemeralKey: X25519.PublicKey
    /// Which of the responder's signed prekeys was used.
    public let signedPrekey: X25519.PublicKey
    /// Which one-time prekey was used, if the bundle had any left.
    public let oneTimePrekey: X25519.PublicKey?

    public init(
        identityKey: Ed25519.PublicKey,
        ephemeralKey: X25519.PublicKey,
        signedPrekey: X25519.PublicKey,
        oneTimePrekey: X25519.PublicKey?
    ) {
        self.identityKey = identityKey
        self.ephemeralKey = ephemeralKey
        self.signedPrekey = signedPrekey
        self.oneTimePrekey = oneTimePrekey
    }
}

extension X3DHInitialHeader {
    /// `IK_A (32) ‖ EK_A (32) ‖ SPK_B (32) ‖ has-OPK (u8) ‖ [OPK_B (32)]`, as in the envelope; also bound into the
    /// body's associated data of every message that carries it.
    public var encoded: [UInt8] {
        var writer = WireWriter(capacity: 129)
        writer.write(raw: identityKey.rawRepresentation)
        writer.write(raw: ephemeralKey.rawRepresentation)
        writer.write(raw: signedPrekey.rawRepresentation)
        writer.write(oneTimePrekey != nil)
        if let oneTimePrekey { writer.write(raw: oneTimePrekey.rawRepresentation) }
        return writer.bytes
    }
}

/// The agreed secret and associated data of one X3DH run.
public struct X3DHAgreement: Sendable {
    /// SK, 32 bytes: the Double Ratchet's first root key (it lives as long as the first root key, decision 0014).
    public let sharedSecret: RatchetKey
    /// AD = IK_A ‖ IK_B (the two Ed25519 identity keys, 64 bytes).
    public let associatedData: [UInt8]
}

/// Extended Triple Diffie-Hellman (Signal's X3DH spec, revision 1) over X25519 and HKDF-SHA-256.
public enum X3DH {
    /// The initiator's half: verifies the bundle, then DH1..DH4. Returns the agreement, the header to send, and
    /// the responder's signed prekey (the first remote ratchet key).
    public static func initiate<R: RandomSource>(
        identity: AgentIdentity,
        bundle: PrekeyBundle,
        random: inout R
    ) throws -> (agreement: X3DHAgreement, header: X3DHInitialHeader) {
        try bundle.verify()
        let remoteIdentity = try agreementKey(of: bundle.identityKey)
        let oneTimePrekey =
            bundle.oneTimePrekeys.isEmpty
            ? nil : bundle.oneTimePrekeys[Int.random(in: 0..<bundle.oneTimePrekeys.count, using: &random)]
        let ephemeral = X25519.PrivateKey(using: &random)
        var outputs = [
            try dh(identity.agreementKey, bundle.signedPrekey),
            try dh(ephemeral, remoteIdentity),
            try dh(ephemeral, bundle.signedPrekey),
        ]
        if let oneTimePrekey { outputs.append(try dh(ephemeral, oneTimePrekey)) }
        let agreement = X3DHAgreement(
            sharedSecret: RatchetKDF.x3dhSecret(outputs),
            associatedData: identity.publicKey.rawRepresentation + bundle.identityKey.rawRepresentation
        )
        let header = X3DHInitialHeader(
            identityKey: identity.publicKey,
            ephemeralKey: ephemeral.publicKey,
            signedPrekey: bundle.signedPrekey,
            oneTimePrekey: oneTimePrekey
        )
        return (agreement, header)
    }

    /// The responder's half. Does not consume the one-time prekey: the caller does that once the first message
    /// has decrypted, so a forged initial message cannot burn a prekey.
    public static func respond(
        identity: AgentIdentity,
        prekeys: PrekeySecrets,
        header: X3DHInitialHeader
    ) throws -> (agreement: X3DHAgreement, signedPrekey: X25519.PrivateKey) {
        guard let signedPrekey = prekeys.signedPrekey(matching: header.signedPrekey) else {
            throw RatchetError(.unknownPrekey, "the initial message uses a signed prekey we no longer hold")
        }
        let remoteIdentity = try agreementKey(of: header.identityKey)
        var outputs = [
            try dh(signedPrekey, remoteIdentity),
            try dh(identity.agreementKey, header.ephemeralKey),
            try dh(signedPrekey, header.ephemeralKey),
        ]
        if let used = header.oneTimePrekey {
            guard let oneTimePrekey = prekeys.oneTimePrekey(matching: used) else {
                throw RatchetError(.unknownPrekey, "the initial message uses a one-time prekey already used or unknown")
            }
            outputs.append(try dh(oneTimePrekey, header.ephemeralKey))
        }
        let agreement = X3DHAgreement(
            sharedSecret: RatchetKDF.x3dhSecret(outputs),
            associatedData: header.identityKey.rawRepresentation + identity.publicKey.rawRepresentation
        )
        return (agreement, signedPrekey)
    }

    static func agreementKey(of identityKey: Ed25519.PublicKey) throws -> X25519.PublicKey {
        do {
            return try identityKey.agreementKey()
        } catch {
            throw RatchetError(.invalidKey, "identity key has no X25519 form")
        }
    }

    static func dh(_ privateKey: X25519.PrivateKey, _ publicKey: X25519.PublicKey) throws -> SecureBytes {
        do {
            return try privateKey.sharedSecret(with: publicKey)
        } catch {
            throw RatchetError(.invalidKey, "X25519 with a small-order public key")
        }
    }
}
