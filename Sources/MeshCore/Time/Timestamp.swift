/// An instant, in nanoseconds since the Unix epoch.
///
/// Protocol cores never read a clock; they are handed a `Timestamp` with every input (design rule 3). Wall-clock
/// time is used because signed records carry expiry times that other machines must interpret.
public struct Timestamp: Comparable, Hashable, Sendable, CustomStringConvertible {
    public var nanosecondsSinceEpoch: Int64

    public init(nanosecondsSinceEpoch: Int64) {
        self.nanosecondsSinceEpoch = nanosecondsSinceEpoch
    }

    public init(secondsSinceEpoch: Int64) {
        self.nanosecondsSinceEpoch =
            secondsSinceEpoch.multipliedReportingOverflow(by: 1_000_000_000).overflow
            ? (secondsSinceEpoch < 0 ? .min : .max)
            : secondsSinceEpoch * 1_000_000_000
    }

    public static let zero = Timestamp(nanosecondsSinceEpoch: 0)

    public var secondsSinceEpoch: Int64 { nanosecondsSinceEpoch / 1_000_000_000 }
    public var millisecondsSinceEpoch: Int64 { nanosecondsSinceEpoch / 1_000_000 }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.nanosecondsSinceEpoch < rhs.nanosecondsSinceEpoch
    }

    /// Saturating, so a hostile TTL from the network cannot overflow into the past.
    public static func + (lhs: Timestamp, rhs: Duration) -> Timestamp {
        let (sum, overflow) = lhs.nanosecondsSinceEpoch.addingReportingOverflow(rhs.nanoseconds)
        if overflow { return Timestamp(nanosecondsSinceEpoch: rhs.nanoseconds > 0 ? .max : .min) }
        return Timestamp(nanosecondsSinceEpoch: sum)
    }

    public static func - (lhs: Timestamp, rhs: Duration) -> Timestamp {
        lhs + (.zero - rhs)
    }

    public static func - (lhs: Timestamp, rhs: Timestamp) -> Duration {
        let (difference, overflow) = lhs.nanosecondsSinceEpoch.subtractingReportingOverflow(rhs.nanosecondsSinceEpoch)
        if overflow { return .nanoseconds(lhs > rhs ? Int64.max : Int64.min) }
        return .nanoseconds(difference)
    }

    public var description: String { "\(nanosecondsSinceEpoch / 1_000_000) ms" }
}

extension Duration {
    /// Whole nanoseconds, saturating at `Int64` bounds.
    public var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (total, overflow2) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000)
        if overflow2 { return seconds < 0 ? .min : .max }
        return total
    }

    /// Fractional milliseconds, for reports and benchmarks.
    public var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1_000 + Double(attoseconds) / 1e15
    }
}
