import MeshCore
import NIOCore
import RelayFallback

/// Every relay connection of one process, one per address (decision 0073): the node's home relays and its
/// sends to other agents' home relays share them, so the relay never sees two sessions of one identity that
/// knock each other off (`sessionReplaced`).
///
/// - Homes: `HomeRelaySelector` decides, the pool connects. At start it logs in to every candidate once to
///   measure its round trip, keeps the best `homeCount`, pings them every `pingInterval`, replaces a failing
///   home, and measures the other candidates every `policy.probeInterval`.
/// - Sends: `send(_:via:)` uses the first hop that takes the envelope, connecting on demand; a hop that is a
///   home (or already connected) reuses that connection. Connections that are not homes close after
///   `idleTimeout` without sends.
/// - Deliveries: reported as `.delivered` and acknowledged only by `acknowledge(_:relay:)`, after the node's
///   commit. Events are bounded (`eventBufferLimit`, oldest kept); a delivery event that does not fit is
///   counted in `droppedEvents` and its connection is restarted, so the relay delivers it again.
/// - TLS: a `wss://` relay is reached over TLS or not at all; `makeTLS` failing is reported as
///   `.connectFailed(.tlsUnavailable)` and nothing is sent.
///
/// Networking runs on the caller's event-loop group (the process's only one).
public actor RelayPool {
    public struct Configuration: Sendable {
        public var policy = HomeRelaySelector.Policy()
        public var pingInterval: Duration = .seconds(15)
        /// How long a measurement waits for every candidate's pong.
        public var probeTimeout: Duration = .seconds(5)
        /// How long a send waits for an on-demand connection to log in, and then for the relay's answer.
        public var connectTimeout: Duration = .seconds(10)
        public var answerTimeout: Duration = .seconds(10)
        /// A connection that is not a home closes after this long without a send through it.
        public var idleTimeout: Duration = .seconds(120)
        /// Events buffered for a slow reader before new ones are dropped (and counted).
        public var eventBufferLimit = 4_096
        public var backoff = BackoffPolicy(initial: .milliseconds(200), maximum: .seconds(10))
        public init() {}
    }

    struct Entry {
        let client: RelayClient
        let listener: Task<Void, Never>
        /// The last send through it; nil for a connection opened only to measure a candidate.
        var lastSend: Timestamp?
        /// Sends waiting on it (for its login or the relay's answer): it is not closed while there are any.
        var sending = 0
    }

    /// A registered wait: registered before the action whose answer it waits for, so an answer that
    /// arrives first is kept rather than missed.
    enum Slot {
        case pending(WaitKey)
        case waiting(WaitKey, CheckedContinuation<WaitResult, Never>)
        case done(WaitResult)
    }

    enum WaitKey: Hashable {
        case ready(RelayAddress)
        case answer(RelayAddress, EnvelopeID)
        case measured
    }

    enum WaitResult: Sendable {
        case ready
        case failed(RelayConnectFailure)
        case accepted(Disposition)
        case refused(RelayRefusal)
        case timedOut
    }

    public nonisolated let events: AsyncStream<RelayPoolEvent>
    let sink: AsyncStream<RelayPoolEvent>.Continuation
    let identity: AgentIdentity
    let group: any EventLoopGroup
    let configuration: Configuration
    let clock: any MeshClock
    let makeTLS: @Sendable (RelayAddress) throws -> RelayClientTLS
    var selector: HomeRelaySelector
    var connections: [RelayAddress: Entry] = [:]
    var contacts: Set<NodeID>?
    var waiters: [Int: Slot] = [:]
    var nextWaiter = 0
    var loop: Task<Void, Never>?
    var stopped = false
    /// Candidates being measured, and those that answered (or failed) since.
    var measuring: Set<Int> = []
    var answered: Set<Int> = []
    var failuresByAddress: [RelayAddress: [RelayConnectFailure.Code: Int]] = [:]
    var lastFailures: [RelayAddress: RelayConnectFailure] = [:]
    /// Rounds that measured the non-home candidates again (after the one at start).
    public internal(set) var probeRounds = 0
    /// Events dropped because the reader fell behind.
    public internal(set) var droppedEvents = 0
    /// Failed connection attempts by cause, over every address, since the pool started.
    public internal(set) var failureCounts: [RelayConnectFailure.Code: Int] = [:]

    /// - Parameters:
    ///   - candidates: the home relay candidates (configuration or adverts).
    ///   - group: the process's event-loop group; the pool builds no threads of its own.
    ///   - makeTLS: the TLS settings for a `wss://` address (default: the system's trust roots). If it throws,
    ///     that relay is not contacted.
    public init(
        identity: AgentIdentity,
        candidates: [HomeRelaySelector.Candidate],
        group: any EventLoopGroup,
        configuration: Configuration = Configuration(),
        makeTLS: @escaping @Sendable (RelayAddress) throws -> RelayClientTLS = { _ in try RelayClientTLS.system() },
        clock: any MeshClock = SystemClock()
    ) {
        (events, sink) = AsyncStream.makeStream(
            of: RelayPoolEvent.self,
            bufferingPolicy: .bufferingOldest(max(configuration.eventBufferLimit, 1))
        )
        self.identity = identity
        self.group = group
        self.configuration = configuration
        self.makeTLS = makeTLS
        self.clock = clock
        selector = HomeRelaySelector(candidates: candidates, policy: configuration.policy)
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
        let interval = configuration.pingInterval
        loop = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                await self?.maintain()
                await self?.probeIfDue()
                await self?.closeIdle()
            }
        }
    }

    /// Closes every connection, wakes every waiting call and ends `events`.
    public func stop() async {
        stopped = true
        loop?.cancel()
        for address in Array(connections.keys) { await disconnect(address) }
        for token in Array(waiters.keys) { resolve(token: token, .timedOut) }
        sink.finish()
    }

    /// Acknowledges deliveries from `relay` that the node has committed.
    public func acknowledge(_ ids: [EnvelopeID], relay: RelayAddress) async {
        guard !ids.isEmpty, let entry = connections[relay] else { return }
        await entry.client.acknowledge(ids)
    }

    /// The senders the node accepts (its contacts): every connection tells its relay after each login, and the
    /// relay keeps envelopes from anyone else under its smaller first-contact quota.
    public func setAllowedSenders(_ senders: Set<NodeID>) async {
        contacts = senders
        for entry in connections.values { await entry.client.setContacts(senders) }
    }

    /// Every connection and every home candidate, homes first.
    public var statuses: [RelayConnectionStatus] {
        get async {
            var addresses = homes
            for candidate in selector.candidates where !addresses.contains(candidate.address) {
                addresses.append(candidate.address)
            }
            for address in connections.keys.sorted(by: { $0.description < $1.description })
            where !addresses.contains(address) {
                addresses.append(address)
            }
            var result: [RelayConnectionStatus] = []
            for address in addresses {
                result.append(await status(address))
            }
            return result
        }
    }

    func status(_ address: RelayAddress) async -> RelayConnectionStatus {
        let state: RelayConnectionStatus.State
        if let entry = connections[address] {
            if await entry.client.isReady {
                state = .ready
            } else {
                state = lastFailures[address] == nil ? .connecting : .down
            }
        } else {
            state = lastFailures[address] == nil ? .idle : .down
        }
        return RelayConnectionStatus(
            address: address,
            isHome: homes.contains(address),
            state: state,
            roundTrip: roundTrip(address),
            lastFailure: lastFailures[address],
            failureCounts: failuresByAddress[address] ?? [:]
        )
    }
}
