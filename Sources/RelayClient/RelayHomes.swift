import MeshCore
import RelayFallback

/// A client's home relays over real WebSockets: `HomeRelaySelector` decides, this actor connects. It logs in
/// to every candidate once to measure its round trip (ping/pong), keeps the best `homeCount` connected,
/// pings them every `pingInterval`, counts disconnects and unanswered pings as failures, and replaces a
/// failing home with the next healthy candidate. Every `policy.probeInterval` it measures the other candidates
/// again, so a relay that was down or slow at start can still become a home.
///
/// Events of every home come out of `events`, tagged with the relay's address. A sender uses one home per
/// envelope, so cross-relay duplicates only arise from resends; `HomeRelaySet` is where they are merged.
public actor RelayHomes {
    public nonisolated let events: AsyncStream<(RelayAddress, RelayClientEvent)>
    private let sink: AsyncStream<(RelayAddress, RelayClientEvent)>.Continuation
    private let identity: AgentIdentity
    private var selector: HomeRelaySelector
    private var clients: [Int: RelayClient] = [:]
    private var listeners: [Int: Task<Void, Never>] = [:]
    private var loop: Task<Void, Never>?
    private let pingInterval: Duration
    private let clock: any MeshClock
    private let tls: RelayClientTLS?
    private let probeTimeout: Duration
    /// Candidates being measured, and those that answered since.
    private var measuring: Set<Int> = []
    private var answered: Set<Int> = []
    /// Rounds that measured the non-home candidates again (after the one at start).
    public private(set) var probeRounds = 0

    /// `tls` is used for `wss://` candidates (nil: the system's trust roots).
    public init(
        identity: AgentIdentity,
        candidates: [HomeRelaySelector.Candidate],
        policy: HomeRelaySelector.Policy = .init(),
        pingInterval: Duration = .seconds(15),
        tls: RelayClientTLS? = nil,
        probeTimeout: Duration = .seconds(5),
        clock: any MeshClock = SystemClock()
    ) {
        self.tls = tls
        self.probeTimeout = probeTimeout
        (events, sink) = AsyncStream.makeStream(of: (RelayAddress, RelayClientEvent).self)
        self.identity = identity
        selector = HomeRelaySelector(candidates: candidates, policy: policy)
        self.pingInterval = pingInterval
        self.clock = clock
    }

    /// The current homes, best first.
    public var homes: [RelayAddress] { selector.homes.map { selector.candidates[$0].address } }
    public func roundTrip(_ address: RelayAddress) -> Duration? {
        selector.candidates.firstIndex { $0.address == address }.flatMap { selector.roundTrip($0) }
    }

    /// Measures every candidate (bounded by `probeTimeout`), picks the homes and starts keeping them.
    public func start() async {
        await measure(Array(selector.candidates.indices))
        _ = selector.candidatesToProbe(now: clock.now())
        loop = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: self?.pingInterval ?? .seconds(1))
                await self?.maintain()
                await self?.probeIfDue()
            }
        }
    }

    /// Connects to `indices` (those not connected yet), pings until each answered or `probeTimeout` passed, counts
    /// silence as a failure, reselects, and keeps only the homes connected.
    private func measure(_ indices: [Int]) async {
        measuring = Set(indices)
        answered = []
        for index in indices where clients[index] == nil { connect(index) }
        let deadline = ContinuousClock.now + probeTimeout
        while ContinuousClock.now < deadline, !measuring.isSubset(of: answered) {
            for index in measuring.subtracting(answered) { await clients[index]?.ping() }
            try? await Task.sleep(for: .milliseconds(50))
        }
        for index in measuring.subtracting(answered) { selector.recordFailure(index, now: clock.now()) }
        measuring = []
        let change = selector.reselect(now: clock.now())
        for index in change.added where clients[index] == nil { connect(index) }
        for index in Array(clients.keys) where !selector.homes.contains(index) { await disconnect(index) }
    }

    /// Every `probeInterval`: measure the healthy candidates that are not homes (the selector says which).
    func probeIfDue() async {
        let due = selector.candidatesToProbe(now: clock.now())
        guard !due.isEmpty else { return }
        probeRounds += 1
        await measure(due)
    }

    /// Sends through the best logged-in home; false when none is ready or its outbox is full.
    public func send(_ envelope: OutboundEnvelope) async -> Bool {
        for index in selector.homes {
            if let client = clients[index], await client.isReady { return await client.send(envelope) }
        }
        return false
    }

    public func stop() async {
        loop?.cancel()
        for index in Array(clients.keys) { await disconnect(index) }
        sink.finish()
    }

    /// One round: ping the homes, then move away from failing ones.
    func maintain() async {
        for index in selector.homes { await clients[index]?.ping() }
        let change = selector.reselect(now: clock.now())
        for index in change.removed { await disconnect(index) }
        for index in change.added where clients[index] == nil { connect(index) }
    }

    private func connect(_ index: Int) {
        let candidate = selector.candidates[index]
        let client = RelayClient(
            identity: identity,
            host: candidate.address.host,
            port: candidate.address.port,
            expectedRelay: candidate.key,
            tls: candidate.address.secure ? tls ?? (try? RelayClientTLS()) : nil,
            clock: clock
        )
        clients[index] = client
        let stream = client.events
        listeners[index] = Task { [weak self] in
            for await event in stream { await self?.handle(event, from: index, client: client) }
        }
        Task { await client.start() }
    }

    private func disconnect(_ index: Int) async {
        guard let client = clients.removeValue(forKey: index) else { return }
        await client.stop()
        listeners.removeValue(forKey: index)?.cancel()
    }

    private func handle(_ event: RelayClientEvent, from index: Int, client: RelayClient) async {
        guard clients[index] === client else { return }
        switch event {
        case .pong(let sentAt):
            selector.recordRoundTrip(index, client.now() - sentAt)
            if measuring.contains(index) { answered.insert(index) }
        case .disconnected(let reconnectAt) where reconnectAt != nil:
            selector.recordFailure(index, now: clock.now())
            if selector.homes.contains(index) { await maintain() }
        default:
            break
        }
        sink.yield((selector.candidates[index].address, event))
    }
}
