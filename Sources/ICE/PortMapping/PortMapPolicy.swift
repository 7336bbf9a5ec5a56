import MeshCore

/// Whether to ask the gateway for a port mapping, and by which method, learnt from what was tried (sans-IO: the
/// node's adapter, `PortMapAvailability`, does the asking and reports back with the current time).
///
/// The node probes once at start so the first path attempt already knows. An attempt that finds the probe still out
/// waits for it (bounded by the adapter) rather than ask the gateway twice. A gateway that refused or did not answer
/// is not asked again for `retryAfter`, so on a network without one (most servers) attempts offer at once. Once a
/// method worked, only that one is asked.
public struct PortMapPolicy: Sendable, Equatable {
    public enum State: Sendable, Equatable {
        case unknown
        case works(PortMapMethod)
        case absent(until: Timestamp)
    }

    public enum Decision: Sendable, Equatable {
        /// Nothing is known yet and the start-up probe is out: wait for its verdict, then decide again.
        case waitForProbe
        /// Ask by these methods, in this order.
        case ask([PortMapMethod])
        /// Do not ask; the reason is logged.
        case refuse(String)
    }

    public let retryAfter: Duration
    public private(set) var state = State.unknown
    public private(set) var probing = false

    public init(retryAfter: Duration = .seconds(600)) {
        self.retryAfter = retryAfter
    }

    /// A mapping worked before: an offer may wait for one.
    public var knownToMap: Bool {
        if case .works = state { return true }
        return false
    }

    /// How long a path attempt waits, once gathering is done, for its mapping before its candidates go: the whole
    /// `budget` for a gateway known to map, else a moment (a gateway found absent, or not yet probed, is not
    /// worth holding the attempt for; a mapping granted later follows by trickle).
    public func patience(budget: Duration) -> Duration {
        knownToMap ? budget : .milliseconds(100)
    }

    public func decide(now: Timestamp) -> Decision {
        switch state {
        case .unknown where probing: .waitForProbe
        case .absent(let until) where now < until: .refuse("no mapping gateway (tried recently)")
        case .works(let method): .ask([method])
        case .unknown, .absent: .ask(PortMapMethod.allCases)
        }
    }

    /// Whether to start the start-up probe: only once, and only while nothing is known.
    public mutating func startProbe() -> Bool {
        guard !probing, state == .unknown else { return false }
        probing = true
        return true
    }

    /// The probe's verdict: the method that mapped, or nil. It settles the state only if no attempt did first.
    public mutating func probeEnded(mapped method: PortMapMethod?, now: Timestamp) {
        probing = false
        guard state == .unknown else { return }
        state = method.map(State.works) ?? .absent(until: now + retryAfter)
    }

    /// An attempt's mapping was granted by `method`.
    public mutating func granted(by method: PortMapMethod) {
        state = .works(method)
    }

    /// An attempt's request was refused, failed, or went unanswered within the adapter's budget.
    public mutating func failed(now: Timestamp) {
        state = .absent(until: now + retryAfter)
    }
}
