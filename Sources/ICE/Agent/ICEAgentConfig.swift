import MeshCore

/// Tunables of the agent. Defaults follow RFC 8445 §14 and RFC 7675; docs/ice.md explains each.
public struct ICEAgentConfig: Sendable {
    /// Pacing interval Ta between new checks (RFC 8445 §14.2).
    public var pacing: Duration = .milliseconds(50)
    /// First retransmission timeout of a check; doubled after each transmission.
    public var initialRTO: Duration = .milliseconds(250)
    public var maximumRTO: Duration = .milliseconds(1_600)
    /// Transmissions per check before the pair fails (RFC 8489 Rc = 7).
    public var maximumTransmissions = 7
    /// The whole checking phase fails after this long without a selected pair.
    public var checkingTimeout: Duration = .seconds(15)
    /// The controlling side nominates the best valid pair once no better pair is still pending,
    /// or at the latest this long after the first valid pair.
    public var nominationDelay: Duration = .milliseconds(300)
    /// RFC 7675: a consent check every 5 s (randomised ±20%), consent lost after 30 s without a response.
    public var consentInterval: Duration = .seconds(5)
    public var consentTimeout: Duration = .seconds(30)
    /// Bounds (design rule 6).
    public var maximumPairs = 100
    public var maximumRemoteCandidates = 32
    public var maximumLocalCandidates = 16
    public var maximumQueuedTransmits = 256
    public var maximumQueuedEvents = 64
    /// Answers to incoming checks per source IP: generous for a real peer (a few pairs paced at Ta), tight enough
    /// that a spoofed flood gets little reflected.
    public var responseLimit = KeyedRateLimiter<IPAddress>.Limits(
        perKey: TokenRate(perSecond: 100, burst: 200),
        total: TokenRate(perSecond: 5_000, burst: 5_000),
        maximumKeys: 1_024
    )
    /// Port prediction for a symmetric NAT facing an endpoint-independent one (docs/ice.md).
    public var portPrediction = PortPredictionConfig()
    /// SOFTWARE in our messages; nil sends none (smaller responses).
    public var software: String? = nil

    public init() {}
}

/// Which side nominates (RFC 8445 §6.1.1). The initiator of a session is controlling.
public enum ICERole: String, Sendable, Codable {
    case controlling, controlled
}

/// A datagram the driver must send from the local socket `from` (a candidate's base) to `to`.
public struct ICETransmit: Hashable, Sendable {
    public var from: TransportAddress
    public var to: TransportAddress
    public var bytes: [UInt8]
}

/// What the agent tells its owner.
public enum ICEEvent: Hashable, Sendable {
    /// Checks began (remote credentials and at least one pair are known).
    case checking
    /// A pair was nominated: send application data from `local` (a base) to `remote`.
    case selected(local: TransportAddress, remote: TransportAddress, elapsed: Duration)
    /// The role flipped after a role conflict (RFC 8445 §7.3.1.1).
    case roleChanged(ICERole)
    /// A remote peer-reflexive candidate was learned from an incoming check.
    case peerReflexive(Candidate)
    /// Consent expired on the selected pair (RFC 7675): stop sending on it.
    case consentLost(local: TransportAddress, remote: TransportAddress)
    /// No pair could be nominated; the failure says what happened to each pair.
    case failed(ICEFailure)
}
