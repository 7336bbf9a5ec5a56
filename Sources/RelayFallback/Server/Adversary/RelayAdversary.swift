import MeshCore

/// A relay that lies, for tests (issue 19). It sits between the hub and the adapter: it takes the hub's actions
/// and returns what a hostile relay would do instead, by the seeded schedule of a `RelayAdversaryPlan`. Sans-IO
/// like the hub: held deliveries come back from `due(now:)` at `nextDeadline()`.
///
/// It attacks only what a relay can touch: the frames it writes and what it keeps on disk. It cannot forge an
/// end-to-end message (it has no session keys), which is exactly what the tests check from the agents' side.
public struct RelayAdversary<Random: RandomSource>: Sendable {
    public enum Attack: String, CaseIterable, Sendable {
        case drop, delay, duplicate, replay, flip, misdeliver
        case lieStored = "lie_stored"
        case wrongIdentity = "wrong_identity"
    }

    /// Deliveries remembered for replay, and deliveries held back at once: both bounded.
    public static var historyCapacity: Int { 256 }
    public static var heldCapacity: Int { 256 }
    static var clientCapacity: Int { 1_024 }

    public let plan: RelayAdversaryPlan
    private var random: Random
    private var history: [(ConnectionID, DeliveredEnvelope)] = []
    private var historyNext = 0
    private var held: [(due: Timestamp, connection: ConnectionID, envelope: DeliveredEnvelope)] = []
    /// Connections that were welcomed: where a misdelivery can go.
    private var clients: [ConnectionID] = []
    public private(set) var counts: [Attack: Int] = [:]

    public init(plan: RelayAdversaryPlan, random: Random) {
        self.plan = plan
        self.random = random
    }

    /// What the hostile relay does instead of `actions`.
    public mutating func transform(_ actions: [RelayHubAction], now: Timestamp) -> [RelayHubAction] {
        var result: [RelayHubAction] = []
        result.reserveCapacity(actions.count)
        for action in actions {
            switch action {
            case .send(let connection, .deliver(let envelope)):
                result += attack(envelope, to: connection, now: now)
            case .send(let connection, .challenge(let challenge)) where chance(plan.wrongIdentity, .wrongIdentity):
                count(.wrongIdentity)
                let impostor = Ed25519.PrivateKey(using: &random).publicKey
                result.append(.send(connection, .challenge(RelayChallenge(relayKey: impostor, nonce: challenge.nonce))))
            case .send(let connection, .welcome):
                remember(client: connection)
                result.append(action)
            case .close(let connection):
                clients.removeAll { $0 == connection }
                result.append(action)
            case .persist(let envelopes):
                // Answered `stored` by the hub all the same: the lie is that the envelope is gone.
                let kept = envelopes.filter { _ in
                    guard chance(plan.lieStored, .lieStored) else { return true }
                    count(.lieStored)
                    return false
                }
                if !kept.isEmpty { result.append(.persist(kept)) }
            default:
                result.append(action)
            }
        }
        return result
    }

    /// Held deliveries whose time has come, in the order they were held.
    public mutating func due(now: Timestamp) -> [RelayHubAction] {
        let ready = held.filter { $0.due <= now }
        held.removeAll { $0.due <= now }
        return ready.map { .send($0.connection, .deliver($0.envelope)) }
    }

    public func nextDeadline() -> Timestamp? { held.map(\.due).min() }

    private mutating func attack(
        _ envelope: DeliveredEnvelope,
        to connection: ConnectionID,
        now: Timestamp
    ) -> [RelayHubAction] {
        var out: [RelayHubAction] = []
        if !history.isEmpty, chance(plan.replay, .replay) {
            count(.replay)
            let (target, old) = history[Int(random.next() % UInt64(history.count))]
            out.append(.send(target, .deliver(old)))
        }
        remember(envelope, sentTo: connection)
        if chance(plan.drop, .drop) {
            count(.drop)
            return out
        }
        var envelope = envelope
        if !envelope.payload.isEmpty, chance(plan.flip, .flip) {
            count(.flip)
            var payload = envelope.payload
            let bit = Int(random.next() % UInt64(payload.count * 8))
            payload[bit / 8] ^= UInt8(1 << (bit % 8))
            envelope = DeliveredEnvelope(
                id: envelope.id,
                sender: envelope.sender,
                sequence: envelope.sequence,
                payload: payload
            )
        }
        var target = connection
        if clients.contains(where: { $0 != connection }), chance(plan.misdeliver, .misdeliver),
            let other = clients.filter({ $0 != connection }).randomElement(using: &random)
        {
            count(.misdeliver)
            target = other
        }
        if held.count < Self.heldCapacity, chance(plan.delay, .delay) {
            count(.delay)
            let wait = Int64(random.next() % UInt64(max(plan.maximumDelayMilliseconds, 1)))
            held.append((now + .milliseconds(wait), target, envelope))
        } else {
            out.append(.send(target, .deliver(envelope)))
        }
        if chance(plan.duplicate, .duplicate) {
            count(.duplicate)
            out.append(.send(target, .deliver(envelope)))
        }
        return out
    }

    private mutating func remember(_ envelope: DeliveredEnvelope, sentTo connection: ConnectionID) {
        if history.count < Self.historyCapacity {
            history.append((connection, envelope))
        } else {
            history[historyNext] = (connection, envelope)
            historyNext = (historyNext + 1) % Self.historyCapacity
        }
    }

    private mutating func remember(client connection: ConnectionID) {
        clients.removeAll { $0 == connection }
        clients.append(connection)
        if clients.count > Self.clientCapacity { clients.removeFirst() }
    }

    /// Whether `attack` happens now. Callers ask only when the attack is possible (there is history to replay,
    /// another client to misdeliver to, room to hold), so `everyAttackOnce` spends its first chance on one that
    /// takes place.
    private mutating func chance(_ probability: Double, _ attack: Attack) -> Bool {
        guard probability > 0 else { return false }
        if plan.everyAttackOnce, counts[attack] == nil { return true }
        return Double(random.next() >> 11) * 0x1p-53 < probability
    }

    private mutating func count(_ attack: Attack) { counts[attack, default: 0] += 1 }
}
