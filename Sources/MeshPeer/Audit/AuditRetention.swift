import MeshCore

/// How much of the audit log the node keeps: at most `maximumEntries`, none older than `maximumAge`. Trimming cuts
/// the oldest entries and leaves a signed `AuditCheckpoint` where they ended, so what is kept still verifies.
public struct AuditRetention: Hashable, Sendable {
    public var maximumEntries: Int
    public var maximumAge: Duration

    public init(maximumEntries: Int = 100_000, maximumAge: Duration = .seconds(90 * 24 * 3600)) {
        self.maximumEntries = max(maximumEntries, 1)
        self.maximumAge = maximumAge
    }

    /// The last sequence number to trim, or nil when nothing needs trimming. `newest` is the newest entry's
    /// sequence number, `oldest` the oldest kept one's, and `lastTooOld` the newest entry older than the age limit.
    public func trimThrough(oldest: UInt64, newest: UInt64, lastTooOld: UInt64?) -> UInt64? {
        var cut: UInt64 = 0
        let count = newest >= oldest ? newest - oldest + 1 : 0
        if count > UInt64(maximumEntries) { cut = newest - UInt64(maximumEntries) }
        if let lastTooOld { cut = max(cut, lastTooOld) }
        // The newest entry always stays, so the chain's head is never lost to trimming.
        cut = min(cut, newest &- 1)
        return cut >= oldest ? cut : nil
    }

    /// The instant before which entries are too old.
    public func ageLimit(now: Timestamp) -> Timestamp { now - maximumAge }
}
