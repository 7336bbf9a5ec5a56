/// Token buckets per key (a source address, a sender's key, a peer, an intent) in a bounded table, with an optional
/// bucket over all keys together. The one rate limiter of the code base: the DHT, the STUN responder, the knock gate
/// and the circuit breaker all use it.
///
/// Bounded: at most `limits.maximumKeys` keys. When a new key arrives at a full table, one key is forgotten in
/// amortised O(1), never by scanning the table: keys sit in a queue in the order they were tracked, and the oldest
/// is forgotten unless its bucket is still draining (it is in use), in which case it gets a second chance at the
/// back of the queue, up to `maximumProbes` times per arrival; after that the oldest goes regardless. So idle keys
/// are forgotten before busy ones, and at worst a busy key gets a fresh burst, which the total bucket caps.
public struct KeyedRateLimiter<Key: Hashable & Sendable>: Sendable {
    /// What the limiter allows.
    public struct Limits: Hashable, Sendable {
        public var perKey: TokenRate
        /// A bucket shared by every key, or nil for none.
        public var total: TokenRate?
        public var maximumKeys: Int

        public init(perKey: TokenRate, total: TokenRate? = nil, maximumKeys: Int) {
            self.perKey = perKey
            self.total = total
            self.maximumKeys = maximumKeys
        }
    }

    /// How many queued keys one arrival may move to the back before it forgets the oldest anyway.
    public static var maximumProbes: Int { 8 }

    public let limits: Limits
    private var buckets: [Key: TokenBucket] = [:]
    private var total: TokenBucket?
    /// Keys in the order they were (re)queued; `head` is the oldest. Each tracked key is queued exactly once.
    private var order: [Key] = []
    private var head = 0

    public init(limits: Limits) {
        var limits = limits
        limits.maximumKeys = max(limits.maximumKeys, 1)
        self.limits = limits
    }

    public init(rate: TokenRate, capacity: Int) {
        self.init(limits: Limits(perKey: rate, maximumKeys: capacity))
    }

    public var rate: TokenRate { limits.perKey }
    public var capacity: Int { limits.maximumKeys }
    public var trackedKeys: Int { buckets.count }

    /// Whether `key` (and the total) has `cost` tokens now, without taking them (for "both buckets or neither").
    public func wouldAllow(_ key: Key, cost: Double = 1, now: Timestamp) -> Bool {
        let bucket = buckets[key] ?? TokenBucket(rate: limits.perKey, now: now)
        guard bucket.wouldTake(cost, now: now) else { return false }
        return totalBucket(now: now)?.wouldTake(cost, now: now) ?? true
    }

    /// Takes `cost` tokens for `key` (and from the total) if they are all there; false means refuse, and nothing
    /// was taken.
    public mutating func allow(_ key: Key, cost: Double = 1, now: Timestamp) -> Bool {
        var bucket = buckets[key] ?? TokenBucket(rate: limits.perKey, now: now)
        var all = totalBucket(now: now)
        let allowed = bucket.wouldTake(cost, now: now) && (all?.wouldTake(cost, now: now) ?? true)
        if allowed {
            _ = bucket.take(cost, now: now)
            _ = all?.take(cost, now: now)
        }
        total = all
        if buckets[key] == nil {
            if buckets.count >= limits.maximumKeys { evictOne(now: now) }
            order.append(key)
        }
        buckets[key] = bucket
        return allowed
    }

    private func totalBucket(now: Timestamp) -> TokenBucket? {
        guard let rate = limits.total else { return nil }
        return total ?? TokenBucket(rate: rate, now: now)
    }

    private mutating func evictOne(now: Timestamp) {
        var probes = 0
        while head < order.count {
            let key = order[head]
            head += 1
            guard let bucket = buckets[key] else { continue }  // forgotten earlier
            if probes < Self.maximumProbes && !bucket.isFull(now: now) {
                probes += 1
                order.append(key)
                continue
            }
            buckets[key] = nil
            break
        }
        if head > 64 && head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
    }
}
