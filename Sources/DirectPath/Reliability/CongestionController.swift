import MeshCore

/// NewReno congestion control with pacing (RFC 9002 §7 and §7.7).
///
/// The window limits bytes in flight; pacing spreads a window over a round trip so a burst does not overflow a
/// NAT's or a router's queue. Loss within one recovery period halves the window once.
struct CongestionController: Sendable {
    var maxDatagramSize: Int
    private(set) var window: Int
    private(set) var slowStartThreshold: Int = .max
    private(set) var bytesInFlight = 0
    private var recoveryStart: Timestamp?
    /// Pacing: a token bucket in bytes, refilled at 1.25 × window / RTT and holding at most `burstPackets` packets,
    /// so a window is spread over a round trip and a burst never exceeds ten packets.
    private var tokens: Double
    private var lastRefill: Timestamp?
    private var rate: Double = 0

    static let initialWindowPackets = 10
    static let minimumWindowPackets = 2
    static let burstPackets = 10

    init(maxDatagramSize: Int) {
        self.maxDatagramSize = maxDatagramSize
        window = maxDatagramSize * CongestionController.initialWindowPackets
        tokens = Double(maxDatagramSize * CongestionController.burstPackets)
    }

    var availableWindow: Int { max(window - bytesInFlight, 0) }

    func canSend(bytes: Int) -> Bool { bytesInFlight + bytes <= window }

    private var bucketCapacity: Double { Double(maxDatagramSize * CongestionController.burstPackets) }

    /// When the pacer next releases a full-size packet, if it is holding packets back.
    var nextPacingTime: Timestamp? {
        guard let lastRefill, tokens < Double(maxDatagramSize), rate > 0 else { return nil }
        let seconds = (Double(maxDatagramSize) - tokens) / rate
        return lastRefill + .nanoseconds(Int64(min(seconds, 1) * 1e9))
    }

    /// When pacing next allows a packet; nil when a packet may go now.
    func pacingDelay(now: Timestamp) -> Timestamp? {
        guard let next = nextPacingTime else { return nil }
        return now >= next ? nil : next
    }

    mutating func onPacketSent(bytes: Int, countsInFlight: Bool, now: Timestamp, smoothedRTT: Duration) {
        if countsInFlight { bytesInFlight += bytes }
        if let lastRefill, now > lastRefill {
            tokens = min(tokens + rate * Double((now - lastRefill).nanoseconds) / 1e9, bucketCapacity)
        }
        lastRefill = now
        let rttSeconds = max(Double(smoothedRTT.nanoseconds) / 1e9, 1e-6)
        rate = 1.25 * Double(window) / rttSeconds
        tokens = max(tokens - Double(bytes), -bucketCapacity)
    }

    mutating func onPacketAcked(bytes: Int, sentAt: Timestamp, countsInFlight: Bool) {
        guard countsInFlight else { return }
        bytesInFlight = max(bytesInFlight - bytes, 0)
        if let recoveryStart, sentAt <= recoveryStart { return }
        // Grow only while the window is what limits the sender (RFC 9002 §7.8). A sender held back by flow control
        // or by its application otherwise inflates the window without bound, and the first loss then halves a
        // window that was never used.
        guard bytesInFlight + bytes >= window / 2 else { return }
        if window < slowStartThreshold {
            window += bytes
        } else {
            window += maxDatagramSize * bytes / max(window, 1)
        }
    }

    /// A loss: one window reduction per round trip, whatever the number of packets lost in it.
    mutating func onPacketLost(bytes: Int, sentAt: Timestamp, countsInFlight: Bool, now: Timestamp) {
        guard countsInFlight else { return }
        bytesInFlight = max(bytesInFlight - bytes, 0)
        if let recoveryStart, sentAt <= recoveryStart { return }
        recoveryStart = now
        window = max(window / 2, maxDatagramSize * CongestionController.minimumWindowPackets)
        slowStartThreshold = window
    }

    /// A packet that is no longer tracked for another reason (a probe that needs no retransmission).
    mutating func onPacketDiscarded(bytes: Int, countsInFlight: Bool) {
        if countsInFlight { bytesInFlight = max(bytesInFlight - bytes, 0) }
    }
}
