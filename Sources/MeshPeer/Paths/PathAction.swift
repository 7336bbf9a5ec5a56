import MeshCore

/// The other agent of a conversation, as the path manager names it.
public struct PathPeer: Hashable, Sendable {
    public var did: String
    public var key: Ed25519.PublicKey

    public init(did: String, key: Ed25519.PublicKey) {
        self.did = did
        self.key = key
    }
}

/// Everything a driver needs to build the channel of a connected attempt, and nothing it could reuse: the two
/// fresh shares are drawn per attempt, so no two channels ever derive from the same secret.
public struct PathChannelOpening: Hashable, Sendable {
    public var attempt: UInt64
    public var peer: PathPeer
    /// The offerer is the channel's initiator (whatever the ICE role became).
    public var isInitiator: Bool
    public var offerShare: [UInt8]
    public var answerShare: [UInt8]
    public var offererChannelID: UInt64
    public var answererChannelID: UInt64
    public var offererUfrag: String
    public var answererUfrag: String
    public var cipher: String

    public var localChannelID: UInt64 { isInitiator ? offererChannelID : answererChannelID }
    public var remoteChannelID: UInt64 { isInitiator ? answererChannelID : offererChannelID }

    /// What the channel keys bind besides the two identities: the attempt, both channel IDs and both ICE
    /// usernames, so a key belongs to exactly this attempt between exactly these agents.
    public var context: [UInt8] {
        var writer = WireWriter(capacity: 64)
        writer.write(attempt)
        writer.write(offererChannelID)
        writer.write(answererChannelID)
        writer.writeString(offererUfrag, .uint16)
        writer.writeString(answererUfrag, .uint16)
        return writer.bytes
    }
}

/// What the path manager asks its driver to do.
public enum PathAction: Hashable, Sendable {
    /// Start an ICE session for `attempt` (bind sockets, gather) and report `gathered`.
    case gather(attempt: UInt64, peer: PathPeer, controlling: Bool)
    /// Send a signal inside the encrypted session (through the outbox, so over whatever path it takes).
    case signal(to: PathPeer, PathSignal)
    /// Give the attempt's ICE session the peer's description (checks start).
    case setRemote(attempt: UInt64, PathICE)
    /// Trickled remote candidates, and the peer's NAT hint when its trickle carried one (for port prediction).
    case addRemoteCandidates(attempt: UInt64, candidates: [String], endOfCandidates: Bool, nat: PathNAT = .unknown)
    /// ICE selected a pair: build the channel on it and report `channelValidated` once the peer answers on it.
    case openChannel(PathChannelOpening)
    /// Messages to `peer` go over the attempt's channel from now on.
    case useDirect(peer: PathPeer, attempt: UInt64)
    /// Messages to `peer` go through the relay again; everything sent on the channel without its receipt must be
    /// sent again (the receiver deduplicates).
    case useRelay(peer: PathPeer, reason: String)
    /// Close the attempt's ICE session and channel, if any.
    case discard(attempt: UInt64, reason: String)
}

/// Counters for the dashboard, metrics and benchmarks.
public struct PathStatistics: Hashable, Sendable {
    public var attemptsStarted = 0
    public var offersAnswered = 0
    public var channelsValidated = 0
    public var fallbacks = 0
    public var failures = 0
    public var offersIgnored = 0
    /// Time from the first offer to a validated channel, most recent last (at most `maximumSamples`).
    public var timeToDirect: [Duration] = []
    public static let maximumSamples = 1_024

    mutating func recordTimeToDirect(_ duration: Duration) {
        timeToDirect.append(duration)
        if timeToDirect.count > PathStatistics.maximumSamples {
            timeToDirect.removeFirst(timeToDirect.count - PathStatistics.maximumSamples)
        }
    }
}
