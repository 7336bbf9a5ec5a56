import MeshCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How long a node stays online: Weibull session lengths, heavy-tailed for shape < 1 (docs/kademlia.md,
/// "Simulator").
///
/// Stutzbach and Rejaie (IMC 2006) found session lengths in Kad, BitTorrent and Gnutella heavy-tailed (Weibull
/// shapes 0.34 to 0.59 for BitTorrent): most sessions last minutes, a few last days. The default shape 0.6 is the
/// fit to the IPFS DHT's sessions (ProbeLab RFM 2: half end within 2 h, 80 % within 8 h). The scale follows from the churn rate asked for: in a steady state the fraction of online nodes that
/// leave per unit of time is one over the mean session, and a Weibull mean is `scale · Γ(1 + 1/shape)`.
public struct SessionModel: Sendable {
    public var shape: Double
    /// Fraction of online nodes that leave per hour in the steady state.
    public var departuresPerHour: Double

    public init(shape: Double = 0.6, departuresPerHour: Double) {
        precondition(shape > 0 && departuresPerHour > 0, "a session model needs a positive shape and rate")
        self.shape = shape
        self.departuresPerHour = departuresPerHour
    }

    /// The mean session in seconds: 3,600 / departuresPerHour.
    public var meanSeconds: Double { 3_600 / departuresPerHour }

    /// The Weibull scale (seconds) that gives `meanSeconds`.
    public var scaleSeconds: Double { meanSeconds / tgamma(1 + 1 / shape) }

    /// The median session in seconds: scale · (ln 2)^(1/shape).
    public var medianSeconds: Double { scaleSeconds * pow(log(2), 1 / shape) }

    /// A fresh session's length, by inversion: scale · (−ln U)^(1/shape).
    public func session(using random: inout SeededRandom) -> Duration {
        seconds(scaleSeconds * pow(-log(Self.open(&random)), 1 / shape))
    }

    /// What is left of the session of a node found online at a random instant of a steady state. Such a node is
    /// more likely to be in a long session (the inspection paradox): its session is length-biased, which for a
    /// Weibull means `scale · Y^(1/shape)` with Y ~ Gamma(1 + 1/shape), and it is a uniform fraction of the way
    /// through. Drawing initial nodes' departures from plain sessions instead would overstate the churn at start.
    public func residual(using random: inout SeededRandom) -> Duration {
        let length = scaleSeconds * pow(Self.gamma(1 + 1 / shape, using: &random), 1 / shape)
        return seconds(length * Self.open(&random))
    }

    func seconds(_ value: Double) -> Duration {
        .nanoseconds(Int64(min(value, 1e9) * 1e9))
    }

    /// Uniform in (0, 1).
    static func open(_ random: inout SeededRandom) -> Double {
        (Double(random.next() >> 11) + 0.5) / Double(1 << 53)
    }

    static func normal(_ random: inout SeededRandom) -> Double {
        (-2 * log(open(&random))).squareRoot() * cos(2 * Double.pi * open(&random))
    }

    /// Marsaglia and Tsang's method for Gamma(shape ≥ 1, 1).
    static func gamma(_ shape: Double, using random: inout SeededRandom) -> Double {
        let d = shape - 1.0 / 3.0
        let c = 1 / (9 * d).squareRoot()
        while true {
            let x = normal(&random)
            let v = pow(1 + c * x, 3)
            guard v > 0 else { continue }
            if log(open(&random)) < 0.5 * x * x + d - d * v + d * log(v) { return d * v }
        }
    }

    /// An exponential gap with the given mean, for Poisson arrivals.
    static func exponential(mean: Double, using random: inout SeededRandom) -> Double {
        -log(open(&random)) * mean
    }
}
