import MeshCore

/// A client's two or more home relays: one `RelayClientMachine` each, sends through the healthiest logged-in
/// relay, and acknowledged deliveries deduplicated across relays (a sender may use any of the recipient's home
/// relays, or several): once the owner acknowledged an ID through any relay, a copy from another relay is
/// acknowledged there too and not reported. A copy not yet acknowledged is always reported, so nothing the
/// owner has not made durable is swallowed. Sans-IO like the machines it holds: every input and output names
/// the relay by its index.
public struct HomeRelaySet<Random: RandomSource>: Sendable {
    public struct Member: Sendable {
        public internal(set) var machine: RelayClientMachine<Random>
        /// Consecutive connection failures (reset by a login); a failing relay is chosen last.
        public internal(set) var failures = 0
        /// The adapter's latest round-trip measurement, if any.
        public internal(set) var roundTrip: Duration?
    }

    public private(set) var members: [Member]
    /// IDs the owner acknowledged through any relay (bounded FIFO).
    var seen: RecentIDs
    var events: [(Int, RelayClientEvent)] = []

    /// `relays` are the expected relay keys (nil when unknown); each relay gets its own seeded generator
    /// split from `random`, so jitter differs per relay but a test replays exactly.
    public init(
        identity: AgentIdentity,
        relays: [Ed25519.PublicKey?],
        backoff: BackoffPolicy = BackoffPolicy(),
        random: inout Random
    )
    where Random == SeededRandom {
        members = relays.map { key in
            Member(
                machine: RelayClientMachine(
                    identity: identity,
                    expectedRelay: key,
                    backoff: backoff,
                    random: SeededRandom(seedBytes: random.bytes(count: 32))
                )
            )
        }
        seen = RecentIDs(capacity: 65_536)
    }

    public init(machines: [RelayClientMachine<Random>]) {
        members = machines.map { Member(machine: $0) }
        seen = RecentIDs(capacity: 65_536)
    }

    public mutating func start() {
        for index in members.indices { members[index].machine.start() }
    }

    /// The next IO step for any relay.
    public mutating func pollAction() -> (relay: Int, action: RelayClientAction)? {
        for index in members.indices {
            if let action = members[index].machine.pollAction() { return (index, action) }
        }
        return nil
    }

    /// The next event; a delivery already seen through another relay is dropped here.
    public mutating func pollEvent() -> (relay: Int, event: RelayClientEvent)? {
        collect()
        return events.isEmpty ? nil : events.removeFirst()
    }

    public func pollTimeout() -> Timestamp? {
        members.compactMap { $0.machine.pollTimeout() }.min()
    }

    public mutating func handleTimeout(now: Timestamp) {
        for index in members.indices { members[index].machine.handleTimeout(now: now) }
    }

    public mutating func connectionOpened(_ relay: Int) { members[relay].machine.connectionOpened() }

    public mutating func connectionClosed(_ relay: Int, now: Timestamp) {
        if !members[relay].machine.isReady { members[relay].failures += 1 }
        members[relay].machine.connectionClosed(now: now)
    }

    public mutating func connectFailed(_ relay: Int, _ failure: RelayConnectFailure, now: Timestamp) {
        members[relay].failures += 1
        members[relay].machine.connectFailed(failure, now: now)
    }

    public mutating func received(_ relay: Int, bytes: [UInt8]) {
        members[relay].machine.received(bytes)
        if members[relay].machine.isReady { members[relay].failures = 0 }
    }

    /// The owner made these deliveries from `relay` durable: ack them there, and remember them so a copy
    /// through another relay is acked without being reported.
    public mutating func acknowledge(_ ids: [EnvelopeID], relay: Int) {
        for id in ids { seen.insert(id) }
        members[relay].machine.acknowledge(ids)
    }

    public mutating func recordRoundTrip(_ relay: Int, _ duration: Duration) {
        members[relay].roundTrip = duration
    }

    /// The relay a send goes through: logged-in relays first, then fewest failures, then lowest round trip,
    /// then list order.
    public func preferredRelay() -> Int? {
        members.indices.min { lhs, rhs in
            let a = members[lhs]
            let b = members[rhs]
            if a.machine.isReady != b.machine.isReady { return a.machine.isReady }
            if a.failures != b.failures { return a.failures < b.failures }
            let ar = a.roundTrip ?? .seconds(3600)
            let br = b.roundTrip ?? .seconds(3600)
            if ar != br { return ar < br }
            return lhs < rhs
        }
    }

    /// Queues the envelope on the preferred relay; returns its index, or nil if every outbox is full.
    @discardableResult
    public mutating func send(_ envelope: OutboundEnvelope) -> Int? {
        guard let relay = preferredRelay(), members[relay].machine.send(envelope) else { return nil }
        return relay
    }

    mutating func collect() {
        for index in members.indices {
            while let event = members[index].machine.pollEvent() {
                if case .delivered(let envelope) = event, seen.contains(envelope.id) {
                    members[index].machine.acknowledge([envelope.id])
                    continue
                }
                events.append((index, event))
            }
        }
    }
}
