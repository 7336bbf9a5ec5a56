import MeshCore

/// The ports the probing side aims at, each at most once: first a window either side of the peer's known mapped
/// ports (nearest first: +1, −1, +2, …, as Tox does for sequential allocators), then uniformly random ports of
/// the range (the birthday half, for random allocators). Deterministic for a seeded random source.
public struct PredictedPorts: Sendable {
    let range: ClosedRange<UInt16>
    var window: [UInt16] = []
    public private(set) var used: Set<UInt16> = []

    public init(anchors: [UInt16], config: PortPredictionConfig) {
        range = config.portRange
        let distance = max(0, min(config.sequentialWindow, 4_096))
        var seen = Set(anchors)
        guard distance > 0 else { return }
        for step in 1...distance {
            for anchor in anchors.prefix(4) {
                for candidate in [Int(anchor) + step, Int(anchor) - step]
                where candidate >= Int(range.lowerBound) && candidate <= Int(range.upperBound) {
                    let port = UInt16(candidate)
                    if seen.insert(port).inserted { window.append(port) }
                }
            }
        }
        window.reverse()  // popLast takes the nearest first
    }

    /// The next port to probe; nil once every port of the range was used.
    public mutating func next<R: RandomSource>(using random: inout R) -> UInt16? {
        while let port = window.popLast() {
            if used.insert(port).inserted { return port }
        }
        guard used.count < range.count else { return nil }
        // Rejection sampling stays cheap while few ports are used (the cap keeps it under a few thousand);
        // a scan from a random start guarantees termination otherwise.
        for _ in 0..<64 {
            let port = UInt16.random(in: range, using: &random)
            if used.insert(port).inserted { return port }
        }
        var port = UInt16.random(in: range, using: &random)
        while used.contains(port) { port = port == range.upperBound ? range.lowerBound : port + 1 }
        used.insert(port)
        return port
    }
}
