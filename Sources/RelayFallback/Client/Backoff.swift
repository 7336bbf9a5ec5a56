import MeshCore

/// Reconnect delays: exponential with a cap, and "equal jitter" (half fixed, half random) from an injected
/// generator, so a relay restart is not met by every client at the same instant and tests replay exactly.
public struct BackoffPolicy: Hashable, Sendable {
    public var initial: Duration
    public var maximum: Duration

    public init(initial: Duration = .milliseconds(500), maximum: Duration = .seconds(60)) {
        self.initial = initial
        self.maximum = max(maximum, initial)
    }

    /// The delay before reconnect attempt `attempt` (0 for the first retry).
    public func delay<R: RandomSource>(attempt: Int, random: inout R) -> Duration {
        let shift = min(max(attempt, 0), 30)
        let grown = initial.nanoseconds.multipliedReportingOverflow(by: Int64(1) << shift)
        let cap = grown.overflow ? maximum.nanoseconds : min(grown.partialValue, maximum.nanoseconds)
        let half = cap / 2
        let jitter = half > 0 ? Int64.random(in: 0...half, using: &random) : 0
        return .nanoseconds(cap - half + jitter)
    }
}
