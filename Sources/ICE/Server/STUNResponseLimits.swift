import MeshCore

extension KeyedRateLimiter<IPAddress>.Limits {
    /// A STUN responder's default: per source IP 20 answers a second with a burst of 40, 2,000 a second over all
    /// sources, and at most 4,096 sources tracked, so a spoofer cycling through addresses cannot grow memory.
    public static var stunResponses: Self {
        Self(
            perKey: TokenRate(perSecond: 20, burst: 40),
            total: TokenRate(perSecond: 2_000, burst: 2_000),
            maximumKeys: 4_096
        )
    }
}
