import MeshCore

/// One client's session with one relay: login, sending with resend after reconnect, delivery with explicit
/// acknowledgement, reconnect with backoff. Sans-IO: the adapter feeds it connection events and bytes, and
/// performs `pollAction()`; `pollTimeout()` says when to call `handleTimeout`.
///
/// Acks are the owner's: a delivery is reported as `.delivered` and acknowledged only when the owner calls
/// `acknowledge` (after its own commit). A delivery left unacknowledged is delivered again by the relay (after
/// the next login, or on the same connection once the relay's ack wait runs out; decision 0118) and reported
/// again: the machine only suppresses redeliveries of
/// IDs its owner has already acknowledged (those it acknowledges again at once, since an ack was lost), so an
/// un-acked envelope can never be swallowed. The owner deduplicates durably by ID (docs/relay.md, "Acks").
public struct RelayClientMachine<Random: RandomSource>: Sendable {
    public let identity: AgentIdentity
    public let expectedRelay: Ed25519.PublicKey?
    public let backoff: BackoffPolicy
    public internal(set) var state: RelayClientState = .stopped
    var random: Random
    var attempts = 0
    var outboxOrder: [EnvelopeID] = []
    var outbox: [EnvelopeID: OutboundEnvelope] = [:]
    /// IDs the owner acknowledged (bounded FIFO): a redelivery of one is acked again, not reported.
    var acknowledged: RecentIDs
    /// The senders the owner accepts, sent after every login; nil until the owner sets a list.
    var contacts: [NodeID]?
    /// Whether the current connection attempt already reported why it failed (one report per attempt).
    var attemptReported = false
    /// The one outstanding ping: its token and when it was sent.
    var outstandingPing: (token: UInt64, sentAt: Timestamp)?
    var nextPingToken: UInt64 = 1
    var actions: [RelayClientAction] = []
    var events: [RelayClientEvent] = []

    /// Unacknowledged sends kept for resending; `send` refuses beyond this.
    public static var outboxCapacity: Int { 4_096 }
    /// A ping unanswered this long means the relay (or the path to it) is failing: the machine disconnects
    /// and reconnects with backoff, and a home-relay selector counts a failure.
    public static var pingTimeout: Duration { .seconds(10) }

    public init(
        identity: AgentIdentity,
        expectedRelay: Ed25519.PublicKey? = nil,
        backoff: BackoffPolicy = BackoffPolicy(),
        random: Random,
        duplicateMemory: Int = 65_536
    ) {
        self.identity = identity
        self.expectedRelay = expectedRelay
        self.backoff = backoff
        self.random = random
        self.acknowledged = RecentIDs(capacity: duplicateMemory)
    }

    public var isReady: Bool { state == .ready }
    public var unacknowledgedSendCount: Int { outbox.count }

    public mutating func pollAction() -> RelayClientAction? { actions.isEmpty ? nil : actions.removeFirst() }
    public mutating func pollEvent() -> RelayClientEvent? { events.isEmpty ? nil : events.removeFirst() }

    public func pollTimeout() -> Timestamp? {
        if case .waitingToReconnect(let at) = state { return at }
        if state == .ready, let ping = outstandingPing { return ping.sentAt + Self.pingTimeout }
        return nil
    }

    public mutating func start() {
        guard state == .stopped else { return }
        state = .connecting
        attemptReported = false
        actions.append(.connect)
    }

    public mutating func stop() {
        let wasConnected = state != .stopped && state != .connecting
        if case .waitingToReconnect = state {} else if wasConnected { actions.append(.disconnect) }
        state = .stopped
    }

    /// Ends a logged-in connection so that it reconnects (with backoff) and the relay redelivers whatever is
    /// not acknowledged, e.g. after the owner lost a delivery event. Nothing happens when not logged in.
    public mutating func reconnect() {
        guard state == .ready else { return }
        actions.append(.disconnect)
    }

    public mutating func handleTimeout(now: Timestamp) {
        if state == .ready, let ping = outstandingPing, now >= ping.sentAt + Self.pingTimeout {
            outstandingPing = nil
            return abandon(RelayRefusal(.protocolLimit, "the relay did not answer a ping within \(Self.pingTimeout)"))
        }
        guard case .waitingToReconnect(let at) = state, now >= at else { return }
        state = .connecting
        attemptReported = false
        actions.append(.connect)
    }

    public mutating func connectionOpened() {
        guard state == .connecting else { return }
        state = .awaitingChallenge
    }

    /// The connection attempt failed before the WebSocket opened; the adapter says why (unreachable, TLS,
    /// not a relay). Reported as `.connectFailed`, then handled like a close (reconnect with backoff).
    public mutating func connectFailed(_ failure: RelayConnectFailure, now: Timestamp) {
        guard state == .connecting else { return }
        report(failure)
        connectionClosed(now: now)
    }

    public mutating func connectionClosed(now: Timestamp) {
        outstandingPing = nil
        if state == .awaitingChallenge || state == .awaitingWelcome {
            report(RelayConnectFailure(.closedDuringLogin, "the connection ended before the relay welcomed us"))
        }
        guard state != .stopped else {
            events.append(.disconnected(reconnectAt: nil))
            return
        }
        let at = now + backoff.delay(attempt: attempts, random: &random)
        attempts += 1
        state = .waitingToReconnect(at)
        events.append(.disconnected(reconnectAt: at))
    }

    /// Queues an envelope; it is sent now if logged in, or after the next login. False when the outbox is full.
    public mutating func send(_ envelope: OutboundEnvelope) -> Bool {
        if outbox[envelope.id] != nil { return true }
        guard outbox.count < Self.outboxCapacity else { return false }
        outbox[envelope.id] = envelope
        outboxOrder.append(envelope.id)
        if state == .ready { actions.append(.transmit(RelayMessage.send(envelope).encoded())) }
        return true
    }

    /// The owner has made these deliveries durable: ack them (in frames of at most
    /// `RelayMessage.maximumAckCount`) and remember them, so a redelivery after a lost ack is acked again
    /// without being reported. When not logged in nothing is sent; the relay redelivers after the next
    /// login and the machine acks then.
    public mutating func acknowledge(_ ids: [EnvelopeID]) {
        for id in ids { acknowledged.insert(id) }
        transmitAcks(ids)
    }

    /// Replaces the list of senders the owner accepts; sent now when logged in and after every login. The
    /// relay keeps envelopes from anyone else under its smaller first-contact quota. At most
    /// `RelayMessage.maximumContactCount` are kept (the lowest IDs, so the choice is deterministic).
    public mutating func setContacts(_ senders: Set<NodeID>) {
        let list = Array(
            senders.sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) }
                .prefix(RelayMessage.maximumContactCount)
        )
        guard list != contacts else { return }
        contacts = list
        if state == .ready { actions.append(.transmit(RelayMessage.contacts(list).encoded())) }
    }

    /// Sends a ping when logged in and none is outstanding; the pong is reported as `.pong(sentAt:)` so the
    /// adapter computes the round trip with its own clock. False when no ping was sent.
    @discardableResult
    public mutating func ping(now: Timestamp) -> Bool {
        guard state == .ready, outstandingPing == nil else { return false }
        outstandingPing = (nextPingToken, now)
        actions.append(.transmit(RelayMessage.ping(nextPingToken).encoded()))
        nextPingToken &+= 1
        return true
    }

    mutating func transmitAcks(_ ids: [EnvelopeID]) {
        guard state == .ready else { return }
        var rest = ids[...]
        while !rest.isEmpty {
            let batch = Array(rest.prefix(RelayMessage.maximumAckCount))
            rest = rest.dropFirst(batch.count)
            actions.append(.transmit(RelayMessage.ack(batch).encoded()))
        }
    }

    /// At most one failure report per connection attempt.
    mutating func report(_ failure: RelayConnectFailure) {
        guard !attemptReported else { return }
        attemptReported = true
        events.append(.connectFailed(failure))
    }
}
