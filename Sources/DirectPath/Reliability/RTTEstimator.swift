import MeshCore

/// Smoothed round-trip time and retransmission timeout, as RFC 6298 / RFC 9002 §5 compute them.
struct RTTEstimator: Sendable {
    /// Before the first sample: RFC 9002's initial RTT.
    static let initialRTT: Duration = .milliseconds(333)
    /// RFC 9002's timer granularity. Unlike TCP's 200 ms floor (RFC 6298 asks for 1 s), QUIC relies on its RTT
    /// variance and the peer's ack delay for slack; a fixed floor would stall every tail loss on a fast path.
    static let minimumRTO: Duration = .milliseconds(1)
    /// Timer granularity (RFC 9002's kGranularity, 1 ms there). Our drivers wake within 100 µs, and on a
    /// sub-millisecond path a 1 ms floor on the loss delay made every random loss cost several round trips.
    static let granularity: Duration = .microseconds(250)
    static let maximumRTO: Duration = .seconds(10)

    private(set) var smoothed: Duration = RTTEstimator.initialRTT
    private(set) var variance: Duration = RTTEstimator.initialRTT / 2
    private(set) var latest: Duration = RTTEstimator.initialRTT
    private(set) var minimum: Duration = .seconds(3600)
    private(set) var hasSample = false

    mutating func addSample(_ sample: Duration, ackDelay: Duration) {
        let sample = max(sample, .microseconds(1))
        latest = sample
        minimum = min(minimum, sample)
        // Subtract the peer's reported ack delay unless that would go below the minimum seen (RFC 9002 §5.3).
        let adjusted = sample - ackDelay >= minimum ? sample - ackDelay : sample
        if !hasSample {
            hasSample = true
            smoothed = adjusted
            variance = adjusted / 2
            return
        }
        let deviation = smoothed > adjusted ? smoothed - adjusted : adjusted - smoothed
        variance = (variance * 3 + deviation) / 4
        smoothed = (smoothed * 7 + adjusted) / 8
    }

    /// The probe timeout: when to suspect the tail of the flight was lost.
    func probeTimeout(maxAckDelay: Duration) -> Duration {
        let value = smoothed + max(variance * 4, RTTEstimator.granularity) + maxAckDelay
        return min(max(value, RTTEstimator.minimumRTO), RTTEstimator.maximumRTO)
    }

    /// How long after a later packet was acknowledged an earlier one counts as lost (RFC 9002 §6.1.2).
    var lossDelay: Duration {
        max(max(smoothed, latest) * 9 / 8, RTTEstimator.granularity)
    }
}
