import MeshCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One-way delays drawn per datagram from a log-normal distribution, seeded.
///
/// With `medianOneWay` = 40 ms and σ = 0.5 the round-trip time has a median near 80 ms and a p99 near 250 ms,
/// the shape of wide-area RTTs between well-connected hosts (docs/kademlia.md, "Simulator").
public struct LatencyModel: Sendable {
    public var medianOneWay: Duration
    public var sigma: Double
    /// Probability that any datagram is lost.
    public var loss: Double

    public init(medianOneWay: Duration = .milliseconds(40), sigma: Double = 0.5, loss: Double = 0) {
        self.medianOneWay = medianOneWay
        self.sigma = sigma
        self.loss = loss
    }

    /// A delay in nanoseconds, or nil when the datagram is lost.
    func sample(using random: inout SeededRandom) -> Int64? {
        if loss > 0 && unit(&random) < loss { return nil }
        // Box-Muller: one standard normal from two uniforms.
        let u1 = max(unit(&random), 1e-12)
        let u2 = unit(&random)
        let normal = (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
        let median = Double(medianOneWay.nanoseconds)
        return Int64(median * exp(sigma * normal))
    }

    func unit(_ random: inout SeededRandom) -> Double {
        Double(random.next() >> 11) / Double(1 << 53)
    }
}
