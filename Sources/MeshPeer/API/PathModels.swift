/// `GET /v1/paths`: how this node's conversations travel now (docs/paths.md).
public struct PathsReport: Hashable, Sendable, Codable {
    /// `auto` (upgrade to direct when both agents allow it) or `relay`.
    public var mode: String
    /// Conversations on a validated direct channel now.
    public var directChannels: Int
    public var attemptsStarted: Int
    public var offersAnswered: Int
    public var channelsValidated: Int
    /// Direct channels that broke and sent their conversation back to the relay.
    public var fallbacks: Int
    public var failures: Int
    /// From the first offer to a validated channel, over the recent upgrades (nil before the first).
    public var timeToDirectMsP50: Double?
    public var timeToDirectMsP95: Double?
    /// Every conversation with an attempt or a channel; the rest are on the relay.
    public var peers: [PeerPath]

    public init(
        mode: String,
        directChannels: Int,
        attemptsStarted: Int,
        offersAnswered: Int,
        channelsValidated: Int,
        fallbacks: Int,
        failures: Int,
        timeToDirectMsP50: Double?,
        timeToDirectMsP95: Double?,
        peers: [PeerPath]
    ) {
        self.mode = mode
        self.directChannels = directChannels
        self.attemptsStarted = attemptsStarted
        self.offersAnswered = offersAnswered
        self.channelsValidated = channelsValidated
        self.fallbacks = fallbacks
        self.failures = failures
        self.timeToDirectMsP50 = timeToDirectMsP50
        self.timeToDirectMsP95 = timeToDirectMsP95
        self.peers = peers
    }

    enum CodingKeys: String, CodingKey {
        case mode, peers, failures, fallbacks
        case directChannels = "direct_channels"
        case attemptsStarted = "attempts_started"
        case offersAnswered = "offers_answered"
        case channelsValidated = "channels_validated"
        case timeToDirectMsP50 = "time_to_direct_ms_p50"
        case timeToDirectMsP95 = "time_to_direct_ms_p95"
    }
}

/// One conversation's path: `direct` or `relay`, and the phase of a running attempt (`gathering`,
/// `awaitingAnswer`, `checking`, `connected`, `direct`).
public struct PeerPath: Hashable, Sendable, Codable {
    public var peer: String
    public var path: String
    public var phase: String
    /// The pair ICE selected, once it has: our socket and the peer's address (`ip:port`).
    public var local: String?
    public var remote: String?

    public init(peer: String, path: String, phase: String, local: String? = nil, remote: String? = nil) {
        self.peer = peer
        self.path = path
        self.phase = phase
        self.local = local
        self.remote = remote
    }
}

/// `POST /v1/paths/reset`: drop the direct channel (or the running attempt) to `peer`; its conversation continues
/// on the relay at once, and may upgrade again with the next message.
public struct PathResetRequest: Hashable, Sendable, Codable {
    public var peer: String

    public init(peer: String) { self.peer = peer }
}
