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
    /// Pacing: the earliest instant the next packet may leave, and a small burst allowance.
    private var nextSendTime: Timestamp = .zero
    private var burstTokens: Int

    static let initialWindowPackets = 10
    static let minimumWindowPackets = 2
    static let burstPackets = 10

    init(maxDatagramSize: Int) {
        self.maxDatagramSize = maxDatagramSize
        window = maxDatagramSize * CongestionController.initialWindowPackets
        burstTokens = CongestionController.burstPackets
    }

    var availableWindow: Int { max(window - bytesInFlight, 0) }

    func canSend(bytes: Int) -> Bool { bytesInFlight + bytes <= window }

    /// When the pacer next releases a packet, if it is holding them back.
    var nextPacingTime: Timestamp? { burstTokens > 0 ? nil : nextSendTime }

    /// When pacing next allows a packet; nil when a packet may go now.
    func pacingDelay(now: Timestamp) -> Timestamp? {
        burstTokens > 0 || now >= nextSendTime ? nil : nextSendTime
    }

    mutating func onPacketSent(bytes: Int, countsInFlight: Bool, now: Timestamp, smoothedRTT: Duration) {
        if countsInFlight { bytesInFlight += bytes }
        // Pacing rate = 1.25 × window / RTT, so one packet every (RTT × size / (1.25 × window)).
        let interval = Duration.nanoseconds(
            Int64(Double(smoothedRTT.nanoseconds) * Double(bytes) / (1.25 * Double(max(window, 1))))
        )
        if now >= nextSendTime {
            burstTokens = min(burstTokens + 1, CongestionController.burstPackets)
            nextSendTime = now + interval
        } else {
            nextSendTime = nextSendTime + interval
        }
        burstTokens = max(burstTokens - 1, 0)
    }

    mutating func onPacketAcked(bytes: Int, sentAt: Timestamp, countsInFlight: Bool) {
        guard countsInFlight else { return }
        bytesInFlight = max(bytesInFlight - bytes, 0)
        if let recoveryStart, sentAt <= recoveryStart { return }
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
