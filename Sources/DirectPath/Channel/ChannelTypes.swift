/// Limits and timers of a direct channel. The defaults are what the node uses; tests shrink them.
public struct ChannelConfiguration: Sendable {
    /// Every path carries 1,200-byte UDP payloads (QUIC's floor); larger sizes are probed.
    public var initialDatagramSize = 1_200
    /// One probe: 1,452 bytes fits IPv6 (1500 − 40 − 8) and so IPv4. Zero disables probing.
    public var probeDatagramSize = 1_452
    public var maximumMessage = 1_048_576
    /// Bytes we buffer beyond what the application has taken; advertised to the peer as flow control.
    public var receiveWindow = 4 * 1_048_576
    /// Unacknowledged outgoing bytes before `send` refuses with `.backpressure`.
    public var sendBufferLimit = 8 * 1_048_576
    /// Our receivers acknowledge every batch of packets at once (no delayed ACKs), so the delay the sender must allow
    /// for is only the peer's processing time. QUIC's 25 ms default made every tail loss on a fast path cost 25 ms.
    public var maxAckDelay: Duration = .milliseconds(2)
    /// Linux conntrack forgets an idle UDP flow after 30 s (nf_conntrack_udp_timeout) and many home routers sooner;
    /// a keepalive every 15 s holds the mapping with margin.
    public var keepaliveInterval: Duration = .seconds(15)
    /// No authenticated packet for this long closes the channel.
    public var idleTimeout: Duration = .seconds(45)
    /// With our data unacknowledged, no authenticated packet for this long closes the channel (`unresponsive`): the
    /// path is broken, or someone on it rewrites every datagram, and the relay can carry the conversation meanwhile.
    /// ICE consent would notice only after 30 s, and the idle timeout after 45 (the network lab's on-path attacker
    /// held messages that long). Well above any retransmission backoff a live path needs.
    public var unresponsiveTimeout: Duration = .seconds(8)

    public init() {}
}

/// What the channel tells the application.
public enum ChannelEvent: Equatable, Sendable {
    case message([UInt8])
    case closed(CloseReason)
    /// The path carries larger datagrams than it started with.
    case datagramSizeIncreased(Int)
}

public enum CloseReason: Equatable, Sendable {
    case local(code: UInt16, reason: String)
    case peer(code: UInt16, reason: String)
    case idleTimeout
    /// Our data went unacknowledged, and nothing authentic arrived, for `unresponsiveTimeout`.
    case unresponsive
    case protocolViolation(String)
}

/// Why `send` refused a message.
public enum ChannelSendError: Error, Equatable, Sendable {
    case messageTooLarge(Int)
    /// The send buffer is full: wait for `pathQuality.unacknowledgedBytes` to fall.
    case backpressure
    case closed
}

/// What happened to one received datagram. The driver uses `.accepted(isNewest: true)` to follow a NAT rebinding:
/// only an authenticated packet newer than any before may move the peer's address.
public enum DatagramVerdict: Equatable, Sendable {
    case accepted(packetNumber: UInt64, isNewest: Bool)
    case dropped(ChannelDropReason)
}

public enum ChannelDropReason: String, Equatable, Sendable {
    case malformed
    case wrongChannel = "wrong-channel"
    case forged
    case replayed
    case closed
}

/// Counters for operators and tests; every drop is counted, never silent.
public struct ChannelStatistics: Equatable, Sendable {
    public var datagramsSent = 0
    public var datagramsReceived = 0
    public var droppedMalformed = 0
    public var droppedForged = 0
    public var droppedReplayed = 0
    public var droppedWrongChannel = 0
    public var bytesDroppedBeyondWindow = 0
    public var packetsLost = 0
    public var messagesSent = 0
    public var messagesDelivered = 0
}

/// The path-quality report the node uses to choose between the direct path and the relay.
public struct PathQuality: Equatable, Sendable {
    public var smoothedRTT: Duration
    public var rttVariance: Duration
    /// Lost packets over sent packets, smoothed over recent history.
    public var lossRate: Double
    public var congestionWindow: Int
    /// The congestion controller's estimate of the path's bottleneck bandwidth in bytes per second (zero before
    /// the first measurement): what the path delivered at best over the last ten round trips.
    public var bandwidthEstimate: Double
    public var datagramSize: Int
    public var unacknowledgedBytes: Int
}
