import MeshCore

/// The owner's kill switch, as a state machine without IO: it takes inputs with the current instant and answers
/// whether a send may go, and when it changes state it returns the change for the node to persist, audit and
/// announce. A tripped breaker refuses every send; only the owner resets it. Automatic trips come from anomalies
/// (a send-rate spike, a flood of new contacts, repeated decrypt failures, many new peers in a short time), each
/// with its reason. Per-peer and per-intent token buckets refuse single sends without tripping.
public struct CircuitBreaker: Sendable {
    public enum State: Hashable, Sendable {
        case closed
        case tripped(reason: String, since: Timestamp, automatic: Bool)
    }

    /// A change the node must persist, audit and announce.
    public struct Change: Hashable, Sendable {
        public var state: State
        public var byOwner: Bool
    }

    /// Why a send was refused.
    public enum Refusal: Error, Hashable, Sendable, CustomStringConvertible {
        case tripped(reason: String)
        case peerRateLimited(String)
        case intentRateLimited(String)

        public var description: String {
            switch self {
            case .tripped(let reason):
                "the circuit breaker is tripped (\(reason)): nothing is sent until the owner resets it"
            case .peerRateLimited(let peer): "too many sends to \(peer): the breaker's per-peer limit; retry later"
            case .intentRateLimited(let intent):
                "too many '\(intent)' sends: the breaker's per-intent limit; retry later"
            }
        }
    }

    /// A send's answer.
    public enum Verdict: Hashable, Sendable {
        case allowed
        case refused(Refusal)
    }

    public enum Anomaly: String, Hashable, Sendable, CaseIterable {
        case sendSpike = "send_rate_spike"
        case newContacts = "new_contact_flood"
        case decryptFailures = "decrypt_failures"
        case newPeers = "new_peers"
    }

    public let limits: BreakerLimits
    public private(set) var state: State
    private var peers: KeyedRateLimiter<String>
    private var intents: KeyedRateLimiter<String>
    private var windows: [Anomaly: EventWindow]

    public init(limits: BreakerLimits = BreakerLimits(), state: State = .closed) {
        self.limits = limits
        self.state = state
        peers = KeyedRateLimiter(rate: limits.perPeer, capacity: limits.maximumTrackedPeers)
        intents = KeyedRateLimiter(rate: limits.perIntent, capacity: limits.maximumTrackedIntents)
        windows = [
            .sendSpike: EventWindow(limits.sendSpike), .newContacts: EventWindow(limits.newContacts),
            .decryptFailures: EventWindow(limits.decryptFailures), .newPeers: EventWindow(limits.newPeers),
        ]
    }

    public var isTripped: Bool {
        if case .tripped = state { return true }
        return false
    }

    /// The owner trips the breaker. Tripping a tripped breaker keeps its first reason and instant.
    public mutating func trip(reason: String, now: Timestamp) -> Change? {
        guard !isTripped else { return nil }
        state = .tripped(reason: reason, since: now, automatic: false)
        return Change(state: state, byOwner: true)
    }

    /// The owner resets the breaker; the anomaly windows start afresh, so the same burst does not trip it again.
    public mutating func reset(now: Timestamp) -> Change? {
        guard isTripped else { return nil }
        state = .closed
        for key in windows.keys { windows[key]?.clear() }
        return Change(state: state, byOwner: true)
    }

    /// Whether a send (a message, or with `firstContact` a knock to a peer not yet a contact) may go now. An
    /// allowed send counts towards the anomaly windows and may trip the breaker for the sends after it.
    public mutating func admitSend(
        peer: String,
        intent: String,
        firstContact: Bool = false,
        now: Timestamp
    ) -> (Verdict, Change?) {
        if case .tripped(let reason, _, _) = state { return (.refused(.tripped(reason: reason)), nil) }
        guard peers.wouldAllow(peer, now: now) else { return (.refused(.peerRateLimited(peer)), nil) }
        guard intents.allow(intent, now: now) else { return (.refused(.intentRateLimited(intent)), nil) }
        _ = peers.allow(peer, now: now)
        var change = observe(.sendSpike, now: now)
        if firstContact, change == nil { change = observe(.newPeers, now: now) }
        return (.allowed, change)
    }

    /// A knock was accepted: a new contact.
    public mutating func newContact(now: Timestamp) -> Change? { observe(.newContacts, now: now) }

    /// An envelope from a peer would not decrypt.
    public mutating func decryptFailed(now: Timestamp) -> Change? { observe(.decryptFailures, now: now) }

    private mutating func observe(_ anomaly: Anomaly, now: Timestamp) -> Change? {
        guard !isTripped, var window = windows[anomaly] else { return nil }
        let exceeded = window.record(now: now)
        windows[anomaly] = window
        guard exceeded else { return nil }
        state = .tripped(reason: Self.reason(anomaly, window.threshold), since: now, automatic: true)
        return Change(state: state, byOwner: false)
    }

    static func reason(_ anomaly: Anomaly, _ threshold: BreakerLimits.Threshold) -> String {
        let within = "within \(threshold.window.components.seconds) s"
        switch anomaly {
        case .sendSpike: return "automatic: send-rate spike, \(threshold.count) sends \(within)"
        case .newContacts: return "automatic: flood of new contacts, \(threshold.count) accepted \(within)"
        case .decryptFailures: return "automatic: repeated decrypt failures, \(threshold.count) \(within)"
        case .newPeers: return "automatic: sending to many new peers, \(threshold.count) \(within)"
        }
    }
}
