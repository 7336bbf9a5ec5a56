import MeshCore
import MeshPeer
import NIOCore
import RelayClient
import RelayFallback

/// What the node needs from its relay connections: one connection per relay, shared by its homes and its sends
/// to other agents' homes. `RelayPoolTransport` implements it over the process's `RelayPool`.
protocol RelayTransport: Sendable {
    /// Events of every relay connection, tagged with its address.
    var events: AsyncStream<RelayPoolEvent> { get }
    /// The home relays' addresses, best first, as agents write them in records (`ws://host:port/relay`).
    func homes() async -> [String]
    /// Hands `envelope` to the first usable relay among `relays` (the recipient's homes, best first). Returns the
    /// relay that took it and its answer (nil while unanswered: the connection resends it), or why none did.
    func send(
        _ envelope: OutboundEnvelope,
        via relays: [String]
    ) async -> Result<
        (RelayAddress, Disposition?), RelayTransportError
    >
    /// Tells `relay` the envelopes are stored here: only after the node's transaction committed.
    func acknowledge(_ ids: [EnvelopeID], relay: RelayAddress) async
    /// The senders the relays should treat as contacts (others get the first-contact quota).
    func setContacts(_ senders: Set<NodeID>) async
    func statuses() async -> [RelayStatus]
    func stop() async
}

struct RelayTransportError: Error, Hashable, Sendable, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The node's relays: the process's one `RelayPool`, which keeps the homes and connects on demand to other
/// agents' homes over the same single connection per relay.
struct RelayPoolTransport: RelayTransport {
    let pool: RelayPool

    /// `makeTLS` sets up TLS for a `wss://` relay (default: the system's trust roots).
    init(
        identity: AgentIdentity,
        candidates: [HomeRelaySelector.Candidate],
        homeCount: Int,
        group: any EventLoopGroup,
        makeTLS: @escaping @Sendable (RelayAddress) throws -> RelayClientTLS = { _ in try RelayClientTLS.system() }
    ) {
        var configuration = RelayPool.Configuration()
        configuration.policy.homeCount = homeCount
        pool = RelayPool(
            identity: identity,
            candidates: candidates,
            group: group,
            configuration: configuration,
            makeTLS: makeTLS
        )
    }

    var events: AsyncStream<RelayPoolEvent> { pool.events }

    func start() async { await pool.start() }

    func homes() async -> [String] { await pool.homes.map(\.description) }

    func send(
        _ envelope: OutboundEnvelope,
        via relays: [String]
    ) async -> Result<
        (RelayAddress, Disposition?), RelayTransportError
    > {
        let hops = RelayRoute.hops(recipientHomes: relays, ownHomes: await pool.homes, adverts: [])
        guard !hops.isEmpty else { return .failure(RelayTransportError("the recipient names no usable relay")) }
        switch await pool.send(envelope, via: hops) {
        case .accepted(let address, let disposition): return .success((address, disposition))
        case .queued(let address): return .success((address, nil))
        case .failed(let attempts):
            return .failure(RelayTransportError(attempts.map(\.description).joined(separator: "; ")))
        }
    }

    func acknowledge(_ ids: [EnvelopeID], relay: RelayAddress) async { await pool.acknowledge(ids, relay: relay) }

    func setContacts(_ senders: Set<NodeID>) async { await pool.setAllowedSenders(senders) }

    func statuses() async -> [RelayStatus] {
        await pool.statuses.map { status in
            RelayStatus(
                address: status.address.description,
                state: status.state.rawValue,
                home: status.isHome,
                roundTripMs: status.roundTrip.map {
                    Double($0.components.attoseconds) / 1e15 + Double($0.components.seconds) * 1_000
                },
                lastError: status.lastFailure?.description
            )
        }
    }

    func stop() async { await pool.stop() }
}
