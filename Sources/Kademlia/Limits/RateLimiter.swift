import MeshCore

/// Per-source token buckets, so one address cannot flood the node (each source IP gets `burst` messages and then
/// `perSecond`). The table is bounded: when full, the source that was idle longest is forgotten, which at worst
/// hands a flooder a fresh bucket, never unbounded memory.
public struct RateLimiter: Sendable {
    struct Bucket: Sendable {
        var tokens: Double
        var updated: Timestamp
    }

    public let burst: Int
    public let perSecond: Int
    public let capacity: Int
    private var buckets: [[UInt8]: Bucket] = [:]

    public init(burst: Int, perSecond: Int, capacity: Int) {
        self.burst = burst
        self.perSecond = perSecond
        self.capacity = capacity
    }

    public var trackedSources: Int { buckets.count }

    /// Takes one token for `source` (its IP bytes); false means drop the message.
    public mutating func allow(_ source: [UInt8], now: Timestamp) -> Bool {
        var bucket = buckets[source] ?? Bucket(tokens: Double(burst), updated: now)
        let elapsed = max(0, (now - bucket.updated).milliseconds / 1_000)
        bucket.tokens = min(Double(burst), bucket.tokens + elapsed * Double(perSecond))
        bucket.updated = now
        let allowed = bucket.tokens >= 1
        if allowed { bucket.tokens -= 1 }
        if buckets[source] == nil && buckets.count >= capacity { evictIdlest() }
        buckets[source] = bucket
        return allowed
    }

    private mutating func evictIdlest() {
        if let idlest = buckets.min(by: { $0.value.updated < $1.value.updated })?.key {
            buckets[idlest] = nil
        }
    }
}
