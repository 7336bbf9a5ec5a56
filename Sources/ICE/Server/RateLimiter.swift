import MeshCore

/// Token buckets per source IP, with a bounded table (design rule 6). When the table is full the oldest entry is
/// evicted, so a spoofer cycling through addresses cannot grow memory; a global bucket caps the total anyway.
public struct SourceRateLimiter: Sendable {
    public struct Config: Sendable {
        /// Sustained answers per second per source IP, and the burst allowed.
        public var perSourceRate: Double = 20
        public var perSourceBurst: Double = 40
        /// Answers per second over all sources.
        public var globalRate: Double = 2_000
        public var maximumSources = 4_096

        public init() {}
    }

    struct Bucket: Sendable {
        var tokens: Double
        var updated: Timestamp
    }

    public let config: Config
    var buckets: [IPAddress: Bucket] = [:]
    var global: Bucket?

    public init(config: Config = Config()) { self.config = config }

    /// True when `source` may get an answer now; consumes a token.
    public mutating func allow(_ source: IPAddress, now: Timestamp) -> Bool {
        var all = global ?? Bucket(tokens: config.globalRate, updated: now)
        refill(&all, rate: config.globalRate, burst: config.globalRate, now: now)
        var bucket = buckets[source] ?? Bucket(tokens: config.perSourceBurst, updated: now)
        refill(&bucket, rate: config.perSourceRate, burst: config.perSourceBurst, now: now)
        guard all.tokens >= 1, bucket.tokens >= 1 else {
            global = all
            if buckets[source] != nil { buckets[source] = bucket }
            return false
        }
        all.tokens -= 1
        bucket.tokens -= 1
        global = all
        if buckets[source] == nil, buckets.count >= config.maximumSources,
            let oldest = buckets.min(by: { $0.value.updated < $1.value.updated })?.key
        {
            buckets[oldest] = nil
        }
        buckets[source] = bucket
        return true
    }

    public var trackedSources: Int { buckets.count }

    private func refill(_ bucket: inout Bucket, rate: Double, burst: Double, now: Timestamp) {
        let elapsed = max(0, (now - bucket.updated).milliseconds / 1_000)
        bucket.tokens = min(burst, bucket.tokens + elapsed * rate)
        bucket.updated = now
    }
}
