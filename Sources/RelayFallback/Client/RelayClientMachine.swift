import MeshCore

/// One client's session with one relay: login, sending with resend after reconnect, delivery with
/// duplicate suppression and batched acks, reconnect with backoff. Sans-IO: the adapter feeds it connection
/// events and bytes, and performs `pollAction()`; `pollTimeout()` says when to call `handleTimeout`.
public struct RelayClientMachine<Random: RandomSource>: Sendable {
    public let identity: AgentIdentity
    public let expectedRelay: Ed25519.PublicKey?
    public let backoff: BackoffPolicy
    public internal(set) var state: RelayClientState = .stopped
    var random: Random
    var attempts = 0
    var outboxOrder: [EnvelopeID] = []
    var outbox: [EnvelopeID: OutboundEnvelope] = [:]
    var pendingAcks: [EnvelopeID] = []
    var seen: RecentIDs
    /// The one outstanding ping: its token and when it was sent.
    var outstandingPing: (token: UInt64, sentAt: Timestamp)?
    var nextPingToken: UInt64 = 1
    var actions: [RelayClientAction] = []
    var events: [RelayClientEvent] = []

    /// Unacknowledged sends kept for resending; `send` refuses beyond this.
    public static var outboxCapacity: Int { 4_096 }
    /// Acks are sent once this many are pending, or when the adapter calls `flushAcks` after a read burst.
    public static var ackBatch: Int { 64 }
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
        self.seen = RecentIDs(capacity: duplicateMemory)
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
        actions.append(.connect)
    }

    public mutating func stop() {
        let wasConnected = state != .stopped && state != .connecting
        if case .waitingToReconnect = state {} else if wasConnected { actions.append(.disconnect) }
        state = .stopped
    }

    public mutating func handleTimeout(now: Timestamp) {
        if state == .ready, let ping = outstandingPing, now >= ping.sentAt + Self.pingTimeout {
            outstandingPing = nil
            return abandon(RelayRefusal(.protocolLimit, "the relay did not answer a ping within \(Self.pingTimeout)"))
        }
        guard case .waitingToReconnect(let at) = state, now >= at else { return }
        state = .connecting
        actions.append(.connect)
    }

    public mutating func connectionOpened() {
        guard state == .connecting else { return }
        state = .awaitingChallenge
    }

    public mutating func connectionClosed(now: Timestamp) {
        pendingAcks = []
        outstandingPing = nil
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

    public mutating func flushAcks() {
        guard state == .ready else { return }
        while !pendingAcks.isEmpty {
            let batch = Array(pendingAcks.prefix(RelayMessage.maximumAckCount))
            pendingAcks.removeFirst(batch.count)
            actions.append(.transmit(RelayMessage.ack(batch).encoded()))
        }
    }
}
