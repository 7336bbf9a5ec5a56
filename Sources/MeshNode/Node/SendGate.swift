import MeshCore
import MeshPeer

/// The one gate every outgoing envelope passes: it holds the circuit breaker. The node asks it before a send or a
/// knock is stored (`admit`), and the relay transport asks it again before each envelope is handed to a relay
/// (`GatedRelayTransport`), so a trip stops messages, knocks, receipts and knock decisions on every path at once,
/// including entries queued before the trip. Acknowledgements of incoming envelopes, relay keepalives and the DHT
/// do not pass here: they keep the node reachable so a reset takes effect at once.
///
/// A class behind a mutex because the transport's send tasks read it off the node's actor.
final class SendGate: Sendable {
    private let breaker: LockedValue<CircuitBreaker>

    init(limits: BreakerLimits, state: CircuitBreaker.State = .closed) {
        breaker = LockedValue(CircuitBreaker(limits: limits, state: state))
    }

    var isOpen: Bool { breaker.withLock { !$0.isTripped } }
    var state: CircuitBreaker.State { breaker.withLock { $0.state } }
    var limits: BreakerLimits { breaker.withLock { $0.limits } }

    func restore(_ state: CircuitBreaker.State) {
        breaker.withLock { $0 = CircuitBreaker(limits: $0.limits, state: state) }
    }

    func admit(
        peer: String,
        intent: String,
        firstContact: Bool,
        now: Timestamp
    )
        -> (CircuitBreaker.Verdict, CircuitBreaker.Change?)
    {
        breaker.withLock { $0.admitSend(peer: peer, intent: intent, firstContact: firstContact, now: now) }
    }

    func trip(reason: String, now: Timestamp) -> CircuitBreaker.Change? {
        breaker.withLock { $0.trip(reason: reason, now: now) }
    }

    func reset(now: Timestamp) -> CircuitBreaker.Change? { breaker.withLock { $0.reset(now: now) } }
    func newContact(now: Timestamp) -> CircuitBreaker.Change? { breaker.withLock { $0.newContact(now: now) } }
    func decryptFailed(now: Timestamp) -> CircuitBreaker.Change? { breaker.withLock { $0.decryptFailed(now: now) } }
}
