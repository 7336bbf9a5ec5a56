import MeshCore

/// The RFC 8445 agent, sans-IO in str0m's shape: feed it datagrams (`handleInput`) and timer ticks
/// (`handleTimeout`), then drain `pollTransmit()` and `pollEvent()` and sleep until `pollTimeout()`.
/// It never reads a clock or a socket; randomness (transaction IDs, tie-breaker, jitter) comes from `Random`.
/// One component, UDP, regular nomination, consent freshness (RFC 7675). See docs/ice.md.
public struct ICEAgent<Random: RandomSource>: Sendable {
    public enum State: String, Sendable { case new, checking, connected, disconnected, failed }

    public let config: ICEAgentConfig
    public internal(set) var role: ICERole
    public let tieBreaker: UInt64
    public let localCredentials: ICECredentials
    public internal(set) var remoteCredentials: ICECredentials?
    public internal(set) var state: State = .new
    public internal(set) var localCandidates: [Candidate] = []
    public internal(set) var remoteCandidates: [Candidate] = []
    /// Sorted by pair priority, highest first.
    public internal(set) var pairs: [CandidatePair] = []
    public internal(set) var selected: PairKey?

    var random: Random
    var responseLimiter: KeyedRateLimiter<IPAddress>
    /// Requests dropped by the per-source limit.
    public internal(set) var droppedRequests = 0
    var remoteEndOfCandidates = false
    var triggered: [PairKey] = []
    var transactions: [Transaction] = []
    var transmits: [ICETransmit] = []
    var events: [ICEEvent] = []
    var startedAt: Timestamp?
    var nextPacing: Timestamp?
    var firstValidAt: Timestamp?
    var nominating: PairKey?
    var nextConsent: Timestamp?
    var lastConsent: Timestamp?
    var prediction = PredictionState()

    public init(
        role: ICERole,
        credentials: ICECredentials? = nil,
        config: ICEAgentConfig = ICEAgentConfig(),
        random: Random
    ) {
        var random = random
        self.role = role
        self.config = config
        self.localCredentials = credentials ?? ICECredentials.random(using: &random)
        self.tieBreaker = random.next()
        self.random = random
        self.responseLimiter = KeyedRateLimiter(limits: config.responseLimit)
    }

    /// Our credentials and candidates, for the offer or answer.
    public func localDescription(endOfCandidates: Bool) -> ICEDescription {
        ICEDescription(
            credentials: localCredentials,
            candidates: localCandidates,
            endOfCandidates: endOfCandidates,
            nat: prediction.localNAT
        )
    }

    /// Applies the peer's offer or answer.
    public mutating func setRemote(_ description: ICEDescription, now: Timestamp) {
        if prediction.remoteNAT == nil { prediction.remoteNAT = description.nat }
        setRemoteCredentials(description.credentials, now: now)
        for candidate in description.parsedCandidates { addRemoteCandidate(candidate, now: now) }
        if description.endOfCandidates { setRemoteEndOfCandidates(now: now) }
    }

    public mutating func setRemoteCredentials(_ credentials: ICECredentials, now: Timestamp) {
        guard credentials.isValid, remoteCredentials == nil else { return }
        remoteCredentials = credentials
        startIfReady(now: now)
    }

    public mutating func setRemoteEndOfCandidates(now: Timestamp) {
        remoteEndOfCandidates = true
        checkForFailure(now: now)
    }

    /// A gathered candidate (host, server-reflexive, port-mapped, relay). Pairs form with host and relay
    /// candidates only: a reflexive candidate sends from its base, which its host candidate already covers.
    public mutating func addLocalCandidate(_ candidate: Candidate, now: Timestamp) {
        guard localCandidates.count < config.maximumLocalCandidates,
            !localCandidates.contains(where: { $0.address == candidate.address && $0.base == candidate.base })
        else { return }
        localCandidates.append(candidate)
        if candidate.kind == .host || candidate.kind == .relay {
            for remote in remoteCandidates { addPair(local: candidate, remote: remote) }
            startIfReady(now: now)
        }
    }

    public mutating func addRemoteCandidate(_ candidate: Candidate, now: Timestamp) {
        guard remoteCandidates.count < config.maximumRemoteCandidates,
            !remoteCandidates.contains(where: { $0.address == candidate.address })
        else { return }
        remoteCandidates.append(candidate)
        for local in localCandidates where local.kind == .host || local.kind == .relay {
            addPair(local: local, remote: candidate)
        }
        startIfReady(now: now)
    }

    // MARK: Polling

    public mutating func pollTransmit() -> ICETransmit? { transmits.isEmpty ? nil : transmits.removeFirst() }

    public mutating func pollEvent() -> ICEEvent? { events.isEmpty ? nil : events.removeFirst() }

    /// The earliest instant at which `handleTimeout` has work; nil when idle. A spurious call is a no-op.
    public func pollTimeout() -> Timestamp? {
        var deadlines: [Timestamp?] = [nextPacing, nextConsent, predictionDeadline]
        deadlines += transactions.map { Optional($0.nextRetransmit) }
        if let start = startedAt, selected == nil, state == .checking {
            deadlines.append(start + config.checkingTimeout)
        }
        if let first = firstValidAt, role == .controlling, selected == nil, nominating == nil, state == .checking {
            deadlines.append(first + config.nominationDelay)
        }
        if let last = lastConsent, selected != nil { deadlines.append(last + config.consentTimeout) }
        return deadlines.compactMap { $0 }.min()
    }

    /// A failure report covering every pair, as it stands now.
    public func report(code: ICEFailure.Code, reason: String) -> ICEFailure {
        ICEFailure(
            code: code,
            reason: reason,
            pairs: pairs.map {
                ICEFailure.PairReport(
                    local: $0.local.description,
                    remote: $0.remote.description,
                    state: $0.state.rawValue,
                    requestsSent: $0.requestsSent,
                    responsesReceived: $0.responsesReceived,
                    lastError: $0.lastError
                )
            }
        )
    }

    // MARK: Internal helpers shared by the extensions

    mutating func emit(_ event: ICEEvent) {
        guard events.count < config.maximumQueuedEvents else { return }
        events.append(event)
    }

    mutating func send(_ bytes: [UInt8], from: TransportAddress, to: TransportAddress) {
        guard transmits.count < config.maximumQueuedTransmits else { return }
        transmits.append(ICETransmit(from: from, to: to, bytes: bytes))
    }

    func pairIndex(_ key: PairKey) -> Int? { pairs.firstIndex { $0.key == key } }

    mutating func addPair(local: Candidate, remote: Candidate) {
        guard local.base.ip.isIPv4 == remote.address.ip.isIPv4 else { return }
        let pair = CandidatePair(local: local, remote: remote)
        if let existing = pairIndex(pair.key) {
            if pairs[existing].priority(controlling: role == .controlling)
                >= pair.priority(controlling: role == .controlling)
            {
                return
            }
            pairs.remove(at: existing)
        }
        pairs.append(pair)
        sortPairs()
        if pairs.count > config.maximumPairs { pairs.removeLast(pairs.count - config.maximumPairs) }
        if startedAt != nil { unfreezeInitial() }
    }

    mutating func sortPairs() {
        let controlling = role == .controlling
        pairs.sort { $0.priority(controlling: controlling) > $1.priority(controlling: controlling) }
    }

    mutating func startIfReady(now: Timestamp) {
        if startedAt != nil { return scheduleWork(now: now) }
        guard remoteCredentials != nil, !pairs.isEmpty, state == .new else { return }
        startedAt = now
        state = .checking
        unfreezeInitial()
        nextPacing = now
        emit(.checking)
    }

    /// RFC 8445 §6.1.2.6, one component: per foundation, one pair waits and the others stay frozen.
    mutating func unfreezeInitial() {
        var active = Set(pairs.filter { $0.state != .frozen }.map(\.foundation))
        for index in pairs.indices where pairs[index].state == .frozen && !active.contains(pairs[index].foundation) {
            pairs[index].state = .waiting
            active.insert(pairs[index].foundation)
        }
    }
}
