import MeshCore

/// A token bucket in bytes: refilled at the pacing rate the controller sets, holding at least `burstPackets`
/// packets (more on fast paths), so a window is spread over a round trip instead of hitting a NAT's or a router's queue at once.
struct Pacer: Sendable {
    static let burstPackets = 10

    /// Bytes per second; zero until the controller has something to base a rate on (the first burst goes unpaced).
    var rate: Double = 0
    private var tokens: Double
    private var lastRefill: Timestamp?

    init(maxDatagramSize: Int) {
        tokens = Double(maxDatagramSize * Pacer.burstPackets)
    }

    /// When the pacer next releases a packet of `size` bytes, if it is holding packets back.
    func nextSendTime(size: Int) -> Timestamp? {
        guard let lastRefill, tokens < Double(size), rate > 0 else { return nil }
        let seconds = (Double(size) - tokens) / rate
        return lastRefill + .nanoseconds(Int64(min(seconds, 1) * 1e9))
    }

    /// `burst`: the bucket's size in bytes now (it follows the rate: BBR's send quantum).
    mutating func onPacketSent(bytes: Int, burst: Int, now: Timestamp) {
        let capacity = Double(burst)
        if let lastRefill, now > lastRefill {
            tokens = min(tokens + rate * Double((now - lastRefill).nanoseconds) / 1e9, capacity)
        }
        lastRefill = now
        tokens = max(tokens - Double(bytes), -capacity)
    }
}
