import MeshCore

/// Decides, without IO, when a failed decryption should restart the session with a fresh X3DH, and reports it.
///
/// State can be lost or corrupted on either side (a restored backup, a disk error, a crash between a send and a
/// save). Then the peer's messages stop opening: `headerNotDecryptable`, `unknownPrekey`, `corruptState`,
/// `tooManySkipped`. The node answers with a new X3DH to the peer's current bundle (`PeerSessions.startSession`),
/// at most once per `minimumInterval` per peer, so a hostile or broken peer cannot make us hammer the DHT.
/// Tampering (`authenticationFailed`), replays (`duplicate`) and garbage (`malformed`) never trigger it: the
/// session is fine, the message is not.
public struct SessionHealer: Sendable {
    public struct Event: Hashable, Sendable {
        public enum Action: Hashable, Sendable {
            /// Fetch the peer's bundle, `startSession`, and send (the new session's first message heals the peer).
            case rehandshake
            /// A re-handshake happened recently; the next is allowed at `until`.
            case suppressed(until: Timestamp)
        }

        public let peer: Ed25519.PublicKey
        public let cause: RatchetError.Code
        public let action: Action
        public let at: Timestamp
    }

    public var minimumInterval: Duration
    /// Peers remembered for rate limiting; the least recent is forgotten beyond it.
    public let maximumTrackedPeers: Int
    private var lastRehandshake: [Ed25519.PublicKey: Timestamp] = [:]

    public init(minimumInterval: Duration = .seconds(60), maximumTrackedPeers: Int = 4_096) {
        self.minimumInterval = minimumInterval
        self.maximumTrackedPeers = max(maximumTrackedPeers, 1)
    }

    public static func isHealable(_ code: RatchetError.Code) -> Bool {
        switch code {
        case .headerNotDecryptable, .unknownPrekey, .corruptState, .tooManySkipped: true
        default: false
        }
    }

    /// Call for every failed decryption. Returns nil when the failure is not a lost-state symptom, else the event
    /// to report (with what to do).
    public mutating func decryptionFailed(peer: Ed25519.PublicKey, error: RatchetError, now: Timestamp) -> Event? {
        guard SessionHealer.isHealable(error.code) else { return nil }
        if let last = lastRehandshake[peer], now < last + minimumInterval {
            return Event(peer: peer, cause: error.code, action: .suppressed(until: last + minimumInterval), at: now)
        }
        if lastRehandshake[peer] == nil, lastRehandshake.count >= maximumTrackedPeers,
            let oldest = lastRehandshake.min(by: { $0.value < $1.value })?.key
        {
            lastRehandshake[oldest] = nil
        }
        lastRehandshake[peer] = now
        return Event(peer: peer, cause: error.code, action: .rehandshake, at: now)
    }
}
