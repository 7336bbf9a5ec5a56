/// A token bucket's shape: `perSecond` tokens flow in continuously, up to `burst`.
public struct TokenRate: Hashable, Sendable {
    public var perSecond: Double
    public var burst: Double

    public init(perSecond: Double, burst: Double) {
        self.perSecond = perSecond
        self.burst = burst
    }
}
