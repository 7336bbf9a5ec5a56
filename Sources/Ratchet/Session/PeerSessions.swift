import MeshCore

/// Every session with one peer, newest-active first, at most `maximumSessions`.
///
/// More than one exists after a re-handshake or when both sides start a session at once: incoming messages are
/// tried against each, and the one that decrypts becomes the active one, so both sides converge on the session
/// that last carried a message (Signal's rule). The oldest session is dropped when the cap is reached.
public struct PeerSessions: Sendable {
    public static let maximumSessions = 3

    public let remoteIdentity: Ed25519.PublicKey
    public internal(set) var sessions: [RatchetSession] = []
    public let headerEncryption: Bool
    public let limits: RatchetLimits

    public init(remoteIdentity: Ed25519.PublicKey, headerEncryption: Bool = true, limits: RatchetLimits = .default) {
        self.remoteIdentity = remoteIdentity
        self.headerEncryption = headerEncryption
        self.limits = limits
    }

    public init(remoteIdentity: Ed25519.PublicKey, sessions: [RatchetSession], headerEncryption: Bool = true) {
        self.init(remoteIdentity: remoteIdentity, headerEncryption: headerEncryption)
        self.sessions = Array(sessions.prefix(PeerSessions.maximumSessions))
    }

    public var active: RatchetSession? { sessions.first }

    /// Starts a new session from the peer's bundle and makes it active (first contact, or a re-handshake).
    public mutating func startSession<R: RandomSource>(
        identity: AgentIdentity,
        bundle: PrekeyBundle,
        random: inout R
    ) throws {
        guard bundle.identityKey == remoteIdentity else {
            throw RatchetError(.invalidKey, "the bundle belongs to another agent")
        }
        let session = try RatchetSession.initiate(
            identity: identity,
            bundle: bundle,
            headerEncryption: headerEncryption,
            limits: limits,
            random: &random
        )
        promote(session)
    }

    /// Encrypts with the active session; `cannotSend` when there is none (start one first).
    public mutating func encrypt<R: RandomSource>(_ plaintext: [UInt8], random: inout R) throws -> RatchetEnvelope {
        guard var session = sessions.first, session.ratchet.canSend else {
            throw RatchetError(.cannotSend, "no session that can send to this peer")
        }
        let envelope = try session.encrypt(plaintext, random: &random)
        sessions[0] = session
        return envelope
    }

    /// Decrypts with whichever session the envelope belongs to, or accepts a new one from an initial envelope.
    /// On failure nothing changes (sessions and prekeys alike).
    public mutating func receive<R: RandomSource>(
        _ envelope: RatchetEnvelope,
        identity: AgentIdentity,
        prekeys: inout PrekeySecrets,
        random: inout R
    ) throws -> [UInt8] {
        if let header = envelope.initialHeader {
            guard header.identityKey == remoteIdentity else {
                throw RatchetError(.invalidKey, "the initial message names another sender")
            }
            if let index = sessions.firstIndex(where: { $0.baseKey == header.ephemeralKey }) {
                return try decrypt(envelope, sessionAt: index, random: &random)
            }
            let (session, plaintext) = try RatchetSession.accept(
                identity: identity,
                prekeys: &prekeys,
                envelope: envelope,
                headerEncryption: headerEncryption,
                limits: limits,
                random: &random
            )
            promote(session)
            return plaintext
        }
        return try receiveEstablished(envelope, random: &random)
    }

    /// Decrypts an envelope of a session that already exists (one without an initial header). It never touches the
    /// prekeys, so the store need not load and re-seal them for every message: only a first message needs them.
    /// On failure nothing changes.
    public mutating func receiveEstablished<R: RandomSource>(
        _ envelope: RatchetEnvelope,
        random: inout R
    ) throws -> [UInt8] {
        guard envelope.initialHeader == nil else {
            throw RatchetError(.invalidKey, "an initial message needs the prekeys")
        }
        var firstError: RatchetError?
        for index in sessions.indices {
            do {
                return try decrypt(envelope, sessionAt: index, random: &random)
            } catch let error as RatchetError {
                // A header that opens in one session answers for it; keep the most telling error.
                if firstError == nil || firstError?.code == .headerNotDecryptable { firstError = error }
            }
        }
        throw firstError ?? RatchetError(.headerNotDecryptable, "no session with this peer")
    }

    private mutating func decrypt<R: RandomSource>(
        _ envelope: RatchetEnvelope,
        sessionAt index: Int,
        random: inout R
    ) throws -> [UInt8] {
        var session = sessions[index]
        let plaintext = try session.decrypt(envelope, random: &random)
        sessions.remove(at: index)
        promote(session)
        return plaintext
    }

    private mutating func promote(_ session: RatchetSession) {
        sessions.insert(session, at: 0)
        if sessions.count > PeerSessions.maximumSessions {
            sessions.removeLast(sessions.count - PeerSessions.maximumSessions)
        }
    }
}
