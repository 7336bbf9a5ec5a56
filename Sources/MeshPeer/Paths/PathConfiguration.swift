import MeshCore

/// Whether a node takes direct paths. `relay` never offers and declines every offer (an owner who does not want
/// its address known to contacts, or a host where UDP is useless).
public enum PathMode: String, Hashable, Sendable, Codable, CaseIterable {
    case auto
    case relay
}

/// The path manager's limits and clocks (docs/paths.md explains each choice).
public struct PathConfiguration: Hashable, Sendable {
    public var mode: PathMode = .auto
    /// From the start of gathering to a validated channel; past it the attempt is abandoned. ICE's own checks give
    /// up after about 10 s with port prediction; gathering is bounded at 2.5 s; the signals ride the relay.
    public var attemptTimeout: Duration = .seconds(20)
    /// After a failed attempt or a broken channel the next try waits this long, doubling up to `backoffMaximum`.
    public var backoffInitial: Duration = .seconds(30)
    public var backoffMaximum: Duration = .seconds(600)
    /// A direct channel with no message either way for this long is closed, so an idle node stays quiet (ICE
    /// consent alone would send a Binding request every 5 s for ever).
    public var idleClose: Duration = .seconds(120)
    /// Attempts (gathering, signalling or checking) running at once across all peers; each holds UDP sockets.
    public var maximumAttempts = 16
    /// Direct channels open at once.
    public var maximumChannels = 256
    /// Offers taken from one contact: a flood beyond this is ignored (each offer costs sockets and checks).
    public var offerRate = TokenRate(perSecond: 0.2, burst: 3)
    /// Peers whose offer rate is tracked at once.
    public var trackedPeers = 4_096
    /// A signal older (or further in the future) than this is stale: a relay held it, and the attempt it belongs
    /// to has timed out on the other side anyway.
    public var signalMaximumAge: Duration = .seconds(60)
    /// Remote candidates buffered before the remote description is known (trickle racing the answer).
    public var maximumEarlyCandidates = PathICE.maximumCandidates
    /// The channel ciphers this node supports, preferred first (`ChannelCipher` raw values).
    public var ciphers: [String]

    public init(ciphers: [String]) {
        self.ciphers = ciphers
    }
}
