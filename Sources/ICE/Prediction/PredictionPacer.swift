import MeshCore

/// The one place prediction traffic is metered: at most `packetsPerSecond` on average, at most `burst` at one
/// instant (a late wake-up does not catch up beyond that), at most `total` in all, and none at or after
/// `start + maximumDuration`. Pure arithmetic on the instants it is given, so tests can check the caps exactly.
public struct PredictionPacer: Sendable, Equatable {
    public let start: Timestamp
    public let end: Timestamp
    public let total: Int
    let interval: Duration
    let burst: Int
    /// When the next datagram may leave.
    public private(set) var nextDue: Timestamp
    public private(set) var sent = 0

    public init(start: Timestamp, total: Int, config: PortPredictionConfig) {
        self.start = start
        self.end = start + config.maximumDuration
        self.total = max(0, total)
        self.interval = config.interval
        self.burst = max(1, config.burst)
        self.nextDue = start
    }

    /// True once the total or the time cap is reached: nothing more will ever be released.
    public func isExhausted(now: Timestamp) -> Bool { sent >= total || now >= end || nextDue >= end }

    /// How many datagrams may leave at `now`, at most `wanted`; they count as sent.
    public mutating func release(now: Timestamp, wanted: Int) -> Int {
        guard wanted > 0, now >= start, now < end else { return 0 }
        // Credits never pile up beyond `burst`.
        let earliest = now - .nanoseconds(interval.nanoseconds * Int64(burst - 1))
        if nextDue < earliest { nextDue = earliest }
        var count = 0
        while count < wanted, sent < total, nextDue <= now, nextDue < end {
            count += 1
            sent += 1
            nextDue = nextDue + interval
        }
        return count
    }

    /// When more may leave; nil when exhausted.
    public var deadline: Timestamp? { sent < total && nextDue < end ? nextDue : nil }
}
