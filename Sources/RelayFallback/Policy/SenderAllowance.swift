import MeshCore

/// A sender's two buckets (MeshCore's `TokenBucket`): envelopes and bytes. Kept per connected sender in the hub
/// and pruned on the hub's timer once full (`RelayHub+Timers`), so the table is bounded by the connections.
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
