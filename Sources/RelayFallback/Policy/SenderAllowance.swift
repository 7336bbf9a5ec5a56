import MeshCore

/// A token bucket refilled continuously from the instants it is given (never from a clock of its own).
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

    /// Takes `amount` tokens if they are all there; otherwise takes none and returns false.
    public mutating func take(_ amount: Double, now: Timestamp) -> Bool {
        refill(now: now)
        guard tokens >= amount else { return false }
        tokens -= amount
        return true
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

/// A sender's two buckets: envelopes and bytes.
struct SenderAllowance: Sendable {
    var envelopes: TokenBucket
    var bytes: TokenBucket

    init(limits: RelayLimits, now: Timestamp) {
        envelopes = TokenBucket(
            ratePerSecond: limits.senderEnvelopesPerSecond,
            capacity: limits.senderEnvelopeBurst,
            now: now
        )
        bytes = TokenBucket(ratePerSecond: limits.senderBytesPerSecond, capacity: limits.senderByteBurst, now: now)
    }

    /// Both or neither: a refused envelope costs nothing.
    mutating func take(byteCount: Int, now: Timestamp) -> Bool {
        var envelopesAfter = envelopes
        var bytesAfter = bytes
        guard envelopesAfter.take(1, now: now), bytesAfter.take(Double(byteCount), now: now) else { return false }
        envelopes = envelopesAfter
        bytes = bytesAfter
        return true
    }

    func isFull(now: Timestamp) -> Bool { envelopes.isFull(now: now) && bytes.isFull(now: now) }
}
