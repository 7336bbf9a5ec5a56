import MeshCore
import RelayFallback

/// Token buckets per key (a sender's key, a source address) in a bounded table, built on RelayFallback's
/// `TokenBucket` so the node has one bucket type. Generic over the key, so it can replace Kademlia's `RateLimiter`
/// and ICE's `SourceRateLimiter` later.
///
/// Bounded: at most `capacity` keys. When a new key arrives at a full table, the key tracked longest is forgotten
/// (first in, first out, O(1): no scan of the table). At worst that hands a forgotten key a fresh burst; a flood of
/// fresh keys is what a global bucket beside this one is for.
public struct KeyedRateLimiter<Key: Hashable & Sendable>: Sendable {
    public let rate: TokenRate
    public let capacity: Int
    private var buckets: [Key: TokenBucket] = [:]
    /// Keys in the order they were first tracked; `head` is the oldest still tracked.
    private var order: [Key] = []
    private var head = 0

    public init(rate: TokenRate, capacity: Int) {
        self.rate = rate
        self.capacity = max(capacity, 1)
    }

    public var trackedKeys: Int { buckets.count }

    /// Whether `key` has `cost` tokens now, without taking them (for "both buckets or neither").
    public func wouldAllow(_ key: Key, cost: Double = 1, now: Timestamp) -> Bool {
        var bucket = buckets[key] ?? fresh(now: now)
        return bucket.take(cost, now: now)
    }

    /// Takes `cost` tokens for `key` if they are all there; false means refuse (and nothing was taken).
    public mutating func allow(_ key: Key, cost: Double = 1, now: Timestamp) -> Bool {
        var bucket = buckets[key] ?? fresh(now: now)
        let allowed = bucket.take(cost, now: now)
        if buckets[key] == nil {
            if buckets.count >= capacity { evictOldest() }
            order.append(key)
        }
        buckets[key] = bucket
        return allowed
    }

    private func fresh(now: Timestamp) -> TokenBucket {
        TokenBucket(ratePerSecond: rate.perSecond, capacity: rate.burst, now: now)
    }

    private mutating func evictOldest() {
        while head < order.count {
            let key = order[head]
            head += 1
            if buckets.removeValue(forKey: key) != nil { break }
        }
        if head > 64 && head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
    }
}

/// A token bucket's shape: `perSecond` tokens flow in continuously, up to `burst`.
public struct TokenRate: Hashable, Sendable {
    public var perSecond: Double
    public var burst: Double

    public init(perSecond: Double, burst: Double) {
        self.perSecond = perSecond
        self.burst = burst
    }
}
