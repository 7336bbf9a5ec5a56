import MeshCore
import Testing

@testable import RelayFallback

/// Shared fixtures: deterministic identities, a hub on a seeded generator, and login helpers.
enum Fixture {
    static let start = Timestamp(secondsSinceEpoch: 1_700_000_000)

    static func identity(_ seed: UInt64) -> AgentIdentity {
        var random = SeededRandom(seed: seed)
        return AgentIdentity.generate(using: &random)
    }

    static let relay = identity(1)
    static let alice = identity(2)
    static let bob = identity(3)
    static let carol = identity(4)

    static func hub(_ limits: RelayLimits = RelayLimits()) -> RelayHub<SeededRandom> {
        RelayHub(relayKey: relay.publicKey, limits: limits, random: SeededRandom(seed: 99), now: start)
    }

    static func envelope(_ tag: UInt8, to recipient: AgentIdentity, size: Int = 8, ttl: UInt32 = 0) -> OutboundEnvelope
    {
        OutboundEnvelope(
            id: try! EnvelopeID(bytes: [UInt8](repeating: tag, count: 16)),
            recipient: recipient.nodeID,
            ttlSeconds: ttl,
            payload: [UInt8](repeating: tag, count: size)
        )
    }

    static func id(_ tag: UInt8) -> EnvelopeID { try! EnvelopeID(bytes: [UInt8](repeating: tag, count: 16)) }
}

extension RelayHub {
    /// Connects and logs in `identity` on `connection`; returns the actions of the login step.
    @discardableResult
    mutating func logIn(
        _ identity: AgentIdentity,
        on connection: ConnectionID,
        source: String = "127.0.0.1",
        now: Timestamp = Fixture.start
    ) throws -> [RelayHubAction] {
        let opened = connect(connection, source: source, now: now)
        guard case .send(_, .challenge(let challenge)) = try #require(opened.first) else {
            Issue.record("no challenge in \(opened)")
            return []
        }
        let login = try RelayAuth.answer(challenge, identity: identity, expectedRelay: relayKey)
        return receive(connection, bytes: RelayMessage.authenticate(login).encoded(), now: now)
    }

    mutating func send(
        _ envelope: OutboundEnvelope,
        on connection: ConnectionID,
        now: Timestamp = Fixture.start
    )
        -> [RelayHubAction]
    {
        receive(connection, bytes: RelayMessage.send(envelope).encoded(), now: now)
    }
}

/// The refusal codes in a list of actions.
func refusals(_ actions: [RelayHubAction]) -> [RelayRefusal.Code] {
    actions.compactMap { action in
        if case .send(_, .refused(let refusal)) = action { return refusal.code }
        return nil
    }
}

func persisted(_ actions: [RelayHubAction]) -> [StoredEnvelope] {
    actions.flatMap { action -> [StoredEnvelope] in
        if case .persist(let envelopes) = action { return envelopes }
        return []
    }
}
