import MeshCore

/// A local and a remote candidate that connectivity checks may validate (RFC 8445 §6.1.2).
public struct CandidatePair: Hashable, Sendable {
    public enum State: String, Sendable, Codable {
        case frozen, waiting
        case inProgress = "in-progress"
        case succeeded, failed
    }

    public var local: Candidate
    public var remote: Candidate
    public var state: State = .frozen
    /// The controlling side set USE-CANDIDATE on this pair and it succeeded (RFC 8445 §8.1.1).
    public var nominated = false
    /// A USE-CANDIDATE request arrived before our own check succeeded; nominate on success (§7.3.1.5).
    var nominateOnSuccess = false
    /// Counters for the failure report.
    public var requestsSent = 0
    public var responsesReceived = 0
    public var lastError: String?
    /// Round-trip time of the first successful check.
    public var roundTrip: Duration?

    public init(local: Candidate, remote: Candidate) {
        self.local = local
        self.remote = remote
    }

    /// Identity of a pair on the wire: the local socket it sends from and the remote address.
    public var key: PairKey { PairKey(base: local.base, remote: remote.address) }

    public var foundation: String { local.foundation + ":" + remote.foundation }

    /// RFC 8445 §6.1.2.3: 2^32·MIN(G,D) + 2·MAX(G,D) + (G>D ? 1 : 0), G the controlling side's priority.
    public func priority(controlling: Bool) -> UInt64 {
        let g = UInt64(controlling ? local.priority : remote.priority)
        let d = UInt64(controlling ? remote.priority : local.priority)
        return (min(g, d) << 32) + 2 * max(g, d) + (g > d ? 1 : 0)
    }
}

/// The local base and the remote address: what identifies a pair when a datagram arrives.
public struct PairKey: Hashable, Sendable, CustomStringConvertible {
    public var base: TransportAddress
    public var remote: TransportAddress

    public init(base: TransportAddress, remote: TransportAddress) {
        self.base = base
        self.remote = remote
    }

    public var description: String { "\(base) -> \(remote)" }
}

/// One outstanding Binding request (a check, a nomination or a consent probe) and its retransmission timer.
struct Transaction: Sendable {
    var id: [UInt8]
    var pair: PairKey
    var bytes: [UInt8]
    var firstSent: Timestamp
    var nextRetransmit: Timestamp
    var interval: Duration
    var transmissions: Int
    var useCandidate: Bool
    var consent: Bool
    /// The role the request claimed, so a 487 answer moves us to the other one exactly once (§7.2.5.1).
    var role: ICERole
}
