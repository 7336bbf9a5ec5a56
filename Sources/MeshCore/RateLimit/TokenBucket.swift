/// A token bucket refilled continuously from the instants it is given (never from a clock of its own). The one
/// bucket type of the code base: `KeyedRateLimiter` holds a table of them, and the relay's sender allowance pairs two.
public struct TokenBucket: Hashable, Sendable {
    public let ratePerSecond: Double
    public let capacity: Double
    public private(set) var tokens: Double
    public private(set) var updated: Timestamp

    public init(ratePerSecond: Double, capacity: Double, now: Timestamp) {
        self.ratePerSecond = max(ratePerSecond, 0)
        self.capacity = max(capacity, 0)
        self.tokens = self.capacity
        self.updated = now
    }

    public init(rate: TokenRate, now: Timestamp) {
        self.init(ratePerSecond: rate.perSecond, capacity: rate.burst, now: now)
    }

    /// Takes `amount` tokens if they are all there; otherwise takes none and returns false.
    public mutating func take(_ amount: Double, now: Timestamp) -> Bool {
        refill(now: now)
        guard tokens >= amount else { return false }
        tokens -= amount
        return true
    }

    /// Whether `amount` tokens are there now, without taking them.
    public func wouldTake(_ amount: Double, now: Timestamp) -> Bool {
        var copy = self
        return copy.take(amount, now: now)
    }

    /// Whether the bucket has refilled completely (so forgetting it changes nothing).
    public func isFull(now: Timestamp) -> Bool {
        var copy = self
        copy.refill(now: now)
        return copy.tokens >= copy.capacity
    }

    private mutating func refill(now: Timestamp) {
        // A clock that steps backwards refills nothing.
        let elapsed = max((now - updated).milliseconds / 1_000, 0)
        tokens = min(capacity, tokens + elapsed * ratePerSecond)
        if now > updated { updated = now }
    }
}
