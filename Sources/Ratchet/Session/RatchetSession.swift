import MeshCore

/// One session with one peer: X3DH to start it, then the Double Ratchet.
///
/// The initiator attaches its X3DH header to every message until it has decrypted one from the responder, so
/// the session starts even if the first messages are lost or reordered.
public struct RatchetSession: Sendable {
    public let remoteIdentity: Ed25519.PublicKey
    /// EK_A of the X3DH run that made this session: it names the session, so a repeated initial message is
    /// recognised instead of being run through X3DH again (its one-time prekey is gone by then).
    public let baseKey: X25519.PublicKey
    public internal(set) var ratchet: DoubleRatchet
    public internal(set) var pendingInitialHeader: X3DHInitialHeader?

    init(
        remoteIdentity: Ed25519.PublicKey,
        baseKey: X25519.PublicKey,
        ratchet: DoubleRatchet,
        pendingInitialHeader: X3DHInitialHeader?
    ) {
        self.remoteIdentity = remoteIdentity
        self.baseKey = baseKey
        self.ratchet = ratchet
        self.pendingInitialHeader = pendingInitialHeader
    }

    /// Starts a session from the peer's bundle (verifying its signature). Throws `invalidPrekeySignature`.
    public static func initiate<R: RandomSource>(
        identity: AgentIdentity,
        bundle: PrekeyBundle,
        headerEncryption: Bool = true,
        limits: RatchetLimits = .default,
        random: inout R
    ) throws -> RatchetSession {
        let (agreement, header) = try X3DH.initiate(identity: identity, bundle: bundle, random: &random)
        let ratchet = try DoubleRatchet.initiator(
            sharedSecret: agreement.sharedSecret,
            associatedData: agreement.associatedData,
            remoteRatchetKey: bundle.signedPrekey,
            headerEncryption: headerEncryption,
            limits: limits,
            random: &random
        )
        return RatchetSession(
            remoteIdentity: bundle.identityKey,
            baseKey: header.ephemeralKey,
            ratchet: ratchet,
            pendingInitialHeader: header
        )
    }

    /// Accepts an initial envelope: X3DH's responder half, then decrypts the message. Consumes the one-time
    /// prekey from `prekeys` only if the message decrypted; on failure nothing changes.
    public static func accept<R: RandomSource>(
        identity: AgentIdentity,
        prekeys: inout PrekeySecrets,
        envelope: RatchetEnvelope,
        headerEncryption: Bool = true,
        limits: RatchetLimits = .default,
        random: inout R
    ) throws -> (session: RatchetSession, plaintext: [UInt8]) {
        guard let header = envelope.initialHeader else {
            throw RatchetError(.headerNotDecryptable, "not an initial message and no session with this peer")
        }
        let (agreement, signedPrekey) = try X3DH.respond(identity: identity, prekeys: prekeys, header: header)
        var session = RatchetSession(
            remoteIdentity: header.identityKey,
            baseKey: header.ephemeralKey,
            ratchet: DoubleRatchet.responder(
                sharedSecret: agreement.sharedSecret,
                associatedData: agreement.associatedData,
                ratchetKey: signedPrekey,
                headerEncryption: headerEncryption,
                limits: limits
            ),
            pendingInitialHeader: nil
        )
        let plaintext = try session.ratchet.decrypt(envelope.message, binding: header.encoded, random: &random)
        if let used = header.oneTimePrekey { prekeys.consumeOneTimePrekey(used) }
        return (session, plaintext)
    }

    public mutating func encrypt<R: RandomSource>(_ plaintext: [UInt8], random: inout R) throws -> RatchetEnvelope {
        let binding = pendingInitialHeader?.encoded ?? []
        return RatchetEnvelope(
            initialHeader: pendingInitialHeader,
            message: try ratchet.encrypt(plaintext, binding: binding, random: &random)
        )
    }

    /// Decrypts a message of this session; the first success on the initiator's side stops the X3DH header.
    /// The envelope's X3DH header, if any, is authenticated with the body, so no bit of an envelope can change.
    public mutating func decrypt<R: RandomSource>(_ envelope: RatchetEnvelope, random: inout R) throws -> [UInt8] {
        let binding = envelope.initialHeader?.encoded ?? []
        let plaintext = try ratchet.decrypt(envelope.message, binding: binding, random: &random)
        pendingInitialHeader = nil
        return plaintext
    }
}
