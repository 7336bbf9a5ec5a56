import MeshCore

/// What the sender knew about delivery when a packet left. When the packet is acknowledged, the bytes delivered
/// since then over the time it took give one delivery-rate sample (draft-cheng-iccrg-delivery-rate-estimation).
struct DeliverySnapshot: Equatable, Sendable {
    var delivered: Int
    var deliveredTime: Timestamp
    var firstSentTime: Timestamp
    var sentAt: Timestamp
    /// Sent while the application (or flow control) left the window unused: its rate says nothing about the path,
    /// only that the path carried at least that much.
    var isAppLimited: Bool
}

/// One delivery-rate sample, taken per ACK.
struct RateSample: Equatable, Sendable {
    /// Bytes per second.
    var rate: Double
    var isAppLimited: Bool
    /// `delivered` when the newest acknowledged packet was sent: marks round trips.
    var priorDelivered: Int
}

/// Delivery-rate estimation: how many bytes the path delivered per second, measured from acknowledgements.
///
/// The interval is the longer of the send and the ACK intervals, so neither a burst of sends nor a compressed
/// burst of ACKs can report more than the path carried.
struct DeliveryRateSampler: Sendable {
    /// Bytes acknowledged over the channel's lifetime.
    private(set) var delivered = 0
    private var deliveredTime: Timestamp?
    private var firstSentTime: Timestamp?
    /// While non-zero, packets are marked app-limited until `delivered` passes it.
    private var appLimitedUntil = 0

    mutating func onPacketSent(now: Timestamp, bytesInFlightBefore: Int) -> DeliverySnapshot {
        if bytesInFlightBefore == 0 || deliveredTime == nil {
            firstSentTime = now
            deliveredTime = now
        }
        return DeliverySnapshot(
            delivered: delivered,
            deliveredTime: deliveredTime ?? now,
            firstSentTime: firstSentTime ?? now,
            sentAt: now,
            isAppLimited: appLimitedUntil != 0
        )
    }

    /// The sender had window to spare and nothing to send: samples until what is in flight now is delivered
    /// measure the application, not the path.
    mutating func onApplicationLimited(bytesInFlight: Int) {
        appLimitedUntil = max(delivered + bytesInFlight, 1)
    }

    /// Feeds the packets one ACK newly acknowledged (size and send-time snapshot); returns the sample, or nil when
    /// the interval is too short to mean anything (shorter than the path's minimum RTT).
    mutating func onAck(
        _ packets: [(size: Int, snapshot: DeliverySnapshot)],
        now: Timestamp,
        minRTT: Duration?
    )
        -> RateSample?
    {
        var newest: DeliverySnapshot?
        for packet in packets {
            delivered += packet.size
            deliveredTime = now
            let snapshot = packet.snapshot
            if let current = newest,
                (snapshot.delivered, snapshot.sentAt) < (current.delivered, current.sentAt)
            {
                continue
            }
            newest = snapshot
        }
        guard let newest else { return nil }
        firstSentTime = newest.sentAt
        if appLimitedUntil != 0 && delivered > appLimitedUntil { appLimitedUntil = 0 }
        let sendElapsed = newest.sentAt - newest.firstSentTime
        let ackElapsed = now - newest.deliveredTime
        let interval = max(sendElapsed, ackElapsed)
        guard interval > .zero, interval >= (minRTT ?? .zero) else { return nil }
        let bytes = delivered - newest.delivered
        return RateSample(
            rate: Double(bytes) / (Double(interval.nanoseconds) / 1e9),
            isAppLimited: newest.isAppLimited,
            priorDelivered: newest.delivered
        )
    }
}
