import MeshCore

/// Counts events in a sliding window and says when `threshold.count` of them fall within `threshold.window`.
/// Bounded: it keeps the last `threshold.count` instants in a ring (at most 100,000), nothing else.
struct EventWindow: Sendable {
    let threshold: BreakerLimits.Threshold
    private var ring: [Timestamp] = []
    private var next = 0

    static var maximumCount: Int { BreakerLimits.maximumThresholdCount }

    init(_ threshold: BreakerLimits.Threshold) {
        self.threshold = BreakerLimits.Threshold(
            count: min(threshold.count, EventWindow.maximumCount),
            window: threshold.window
        )
    }

    /// Records one event at `now`; true when it makes `count` events within the window.
    mutating func record(now: Timestamp) -> Bool {
        let count = threshold.count
        guard count > 0 else { return false }
        if ring.count < count {
            ring.append(now)
            guard ring.count == count else { return false }
            next = 0
            return now - ring[0] < threshold.window
        }
        // The ring holds the last `count` events; this one replaces the oldest, and the oldest left is the first
        // of the `count` that end with this one.
        ring[next] = now
        next = (next + 1) % count
        return now - ring[next] < threshold.window
    }

    mutating func clear() {
        ring = []
        next = 0
    }
}
