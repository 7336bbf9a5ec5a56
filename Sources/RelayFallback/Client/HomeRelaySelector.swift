import MeshCore

/// Chooses a client's home relays among candidates (from adverts or configuration) by measured round trip and
/// health, and moves away from a failing home. Sans-IO: the adapter reports round trips and failures, calls
/// `reselect`, and connects or disconnects what the answer says. Deterministic, so tests replay exactly.
public struct HomeRelaySelector: Sendable {
    public struct Candidate: Hashable, Sendable {
        public var address: RelayAddress
        public var key: Ed25519.PublicKey?
        public init(address: RelayAddress, key: Ed25519.PublicKey?) {
            self.address = address
            self.key = key
        }
    }

    public struct Policy: Sendable {
        /// Homes to keep (two or more, so one failing relay never leaves the client unreachable).
        public var homeCount = 2
        /// Consecutive failures (connect failed, login failed, ping unanswered) that make a relay unhealthy.
        public var failureLimit = 2
        /// How long an unhealthy relay is passed over before it may be tried again.
        public var cooldown: Duration = .seconds(300)
        /// A healthy home is replaced for a faster relay only when that one is this many times faster and
        /// at least `switchMargin` faster, so homes do not flap on noise.
        public var switchRatio = 2.0
        public var switchMargin: Duration = .milliseconds(20)
        /// How often the candidates that are not homes are measured again: a relay that was down or slow at
        /// start, or one that got faster, must be able to become a home without a restart.
        public var probeInterval: Duration = .seconds(600)
        public init() {}
    }

    struct Health: Sendable {
        /// Smoothed round trip (EWMA, 1/4 weight for each new sample), nil until measured.
        var roundTrip: Duration?
        var failures = 0
        var unhealthyUntil: Timestamp?
    }

    public let candidates: [Candidate]
    public let policy: Policy
    var health: [Health]
    /// Indices into `candidates`, best first.
    public private(set) var homes: [Int] = []
    /// When the non-home candidates are next measured; set by the first `candidatesToProbe` call.
    public private(set) var nextProbeAt: Timestamp?

    /// At most this many candidates are considered.
    public static let maximumCandidates = 32

    public init(candidates: [Candidate], policy: Policy = Policy()) {
        var unique: [Candidate] = []
        for candidate in candidates where !unique.contains(where: { $0.address == candidate.address }) {
            unique.append(candidate)
        }
        self.candidates = Array(unique.prefix(Self.maximumCandidates))
        self.policy = policy
        health = Array(repeating: Health(), count: self.candidates.count)
    }

    public func roundTrip(_ candidate: Int) -> Duration? { health[candidate].roundTrip }
    public func isHealthy(_ candidate: Int, now: Timestamp) -> Bool {
        guard let until = health[candidate].unhealthyUntil else { return true }
        return now >= until
    }

    /// The candidates the adapter should measure now (connect, ping, report, disconnect what is not a home):
    /// the healthy ones that are not homes, every `probeInterval`. The first call only starts the clock, since
    /// the adapter measured every candidate when it started.
    public mutating func candidatesToProbe(now: Timestamp) -> [Int] {
        guard let due = nextProbeAt else {
            nextProbeAt = now + policy.probeInterval
            return []
        }
        guard now >= due else { return [] }
        nextProbeAt = now + policy.probeInterval
        return candidates.indices.filter { !homes.contains($0) && isHealthy($0, now: now) }
    }

    public mutating func recordRoundTrip(_ candidate: Int, _ sample: Duration) {
        let sample = max(sample, .zero)
        health[candidate].roundTrip = health[candidate].roundTrip.map { ($0 * 3 + sample) / 4 } ?? sample
        health[candidate].failures = 0
        health[candidate].unhealthyUntil = nil
    }

    public mutating func recordFailure(_ candidate: Int, now: Timestamp) {
        health[candidate].failures += 1
        if health[candidate].failures >= policy.failureLimit {
            health[candidate].unhealthyUntil = now + policy.cooldown
            health[candidate].failures = 0
        }
    }

    /// Recomputes the homes: unhealthy homes go, free places go to the best healthy candidates (measured
    /// before unmeasured, then lower round trip, then list order), and a healthy home is only displaced by a
    /// much faster relay. Returns what changed, for the adapter to connect and disconnect.
    @discardableResult
    public mutating func reselect(now: Timestamp) -> (added: [Int], removed: [Int]) {
        let before = homes
        var kept = homes.filter { isHealthy($0, now: now) }
        let ranked = candidates.indices.filter { isHealthy($0, now: now) }.sorted { rank($0) < rank($1) }
        for challenger in ranked where !kept.contains(challenger) {
            if kept.count < policy.homeCount {
                kept.append(challenger)
            } else if let slowest = kept.indices.max(by: { rank(kept[$0]) < rank(kept[$1]) }),
                isMuchFaster(challenger, than: kept[slowest])
            {
                kept[slowest] = challenger
            }
        }
        // With too few healthy relays, keep the least recently failed ones rather than none.
        if kept.count < min(policy.homeCount, candidates.count) {
            let rest = candidates.indices.filter { !kept.contains($0) }.sorted { lhs, rhs in
                let a = health[lhs].unhealthyUntil ?? now
                let b = health[rhs].unhealthyUntil ?? now
                return a != b ? a < b : rank(lhs) < rank(rhs)
            }
            kept += rest.prefix(min(policy.homeCount, candidates.count) - kept.count)
        }
        homes = kept.sorted { rank($0) < rank($1) }
        return (homes.filter { !before.contains($0) }, before.filter { !homes.contains($0) })
    }

    /// Measured first, then faster, then list order.
    func rank(_ candidate: Int) -> (Int, Duration, Int) {
        let trip = health[candidate].roundTrip
        return (trip == nil ? 1 : 0, trip ?? .zero, candidate)
    }

    func isMuchFaster(_ challenger: Int, than home: Int) -> Bool {
        guard let fast = health[challenger].roundTrip else { return false }
        guard let slow = health[home].roundTrip else { return true }
        return fast * policy.switchRatio <= slow && slow - fast >= policy.switchMargin
    }
}
