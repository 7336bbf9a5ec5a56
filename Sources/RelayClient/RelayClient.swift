import MeshCore
import NIOCore
import NIOWebSocket
import RelayFallback

/// A relay client: the sans-IO `RelayClientMachine` driven over a real WebSocket on the caller's event-loop
/// group. It reconnects on its own (backoff with jitter) and resends unanswered envelopes; deliveries are
/// acknowledged only when the owner calls `acknowledge`. `events` yields what the machine reports, including
/// every failed connection attempt with its reason (`.connectFailed`), which is also counted in
/// `failureCounts`. The event stream buffers without bound, so its reader must keep up (`RelayPool` reads it
/// at once and applies its own bound).
public actor RelayClient {
    public nonisolated let events: AsyncStream<RelayClientEvent>
    private let eventSink: AsyncStream<RelayClientEvent>.Continuation
    private var machine: RelayClientMachine<SystemRandom>
    private let host: String
    private let port: Int
    private let path: String
    private let tls: RelayClientTLS?
    private let clock: any MeshClock
    private let group: any EventLoopGroup
    /// Failed connection attempts by cause, since this client was made.
    public private(set) var failureCounts: [RelayConnectFailure.Code: Int] = [:]
    /// The most recent failed attempt, cleared by the next login.
    public private(set) var lastFailure: RelayConnectFailure?
    private var outgoing: AsyncStream<[UInt8]>.Continuation?
    private var connectionTask: Task<Void, Never>?
    private var timerTask: Task<Void, Never>?
    private var generation = 0

    public init(
        identity: AgentIdentity,
        host: String,
        port: Int,
        path: String = "/relay",
        expectedRelay: Ed25519.PublicKey? = nil,
        tls: RelayClientTLS? = nil,
        group: any EventLoopGroup,
        backoff: BackoffPolicy = BackoffPolicy(initial: .milliseconds(200), maximum: .seconds(10)),
        clock: any MeshClock = SystemClock()
    ) {
        self.group = group
        (events, eventSink) = AsyncStream.makeStream(of: RelayClientEvent.self)
        machine = RelayClientMachine(
            identity: identity,
            expectedRelay: expectedRelay,
            backoff: backoff,
            random: SystemRandom()
        )
        self.host = host
        self.port = port
        self.path = path
        self.tls = tls
        self.clock = clock
    }

    public var isReady: Bool { machine.isReady }

    public func start() {
        machine.start()
        drive()
    }

    /// Drops the current connection and connects again after the backoff delay: the relay then redelivers
    /// everything not yet acknowledged (the pool uses it when it had to drop a delivery event).
    public func reconnect() {
        machine.reconnect()
        drive()
    }

    public func stop() {
        machine.stop()
        drive()
        timerTask?.cancel()
        outgoing?.finish()
        connectionTask?.cancel()
        eventSink.finish()
    }

    /// Queues an envelope (sent now if logged in, else after the next login). False when the outbox is full.
    public func send(_ envelope: OutboundEnvelope) -> Bool {
        let queued = machine.send(envelope)
        drive()
        return queued
    }

    /// Acknowledges deliveries the owner has made durable (sent in frames of at most 256 IDs).
    public func acknowledge(_ ids: [EnvelopeID]) {
        machine.acknowledge(ids)
        drive()
    }

    /// Replaces the senders the owner accepts (sent after every login); see `RelayClientMachine.setContacts`.
    public func setContacts(_ senders: Set<NodeID>) {
        machine.setContacts(senders)
        drive()
    }

    /// Pings the relay (when logged in and no ping is outstanding); the answer arrives as `.pong(sentAt:)`.
    @discardableResult
    public func ping() -> Bool {
        let sent = machine.ping(now: clock.now())
        drive()
        return sent
    }

    /// Now on the client's clock (to turn a `.pong(sentAt:)` into a round trip).
    public nonisolated func now() -> Timestamp { clock.now() }

    /// Performs the machine's actions and forwards its events.
    private func drive() {
        while let action = machine.pollAction() {
            switch action {
            case .connect: connect()
            case .transmit(let bytes): outgoing?.yield(bytes)
            case .disconnect:
                outgoing?.finish()
                outgoing = nil
            }
        }
        while let event = machine.pollEvent() {
            switch event {
            case .connectFailed(let failure):
                failureCounts[failure.code, default: 0] += 1
                lastFailure = failure
            case .ready:
                lastFailure = nil
            default:
                break
            }
            eventSink.yield(event)
        }
        scheduleTimer()
    }

    private func scheduleTimer() {
        timerTask?.cancel()
        guard let deadline = machine.pollTimeout() else { return }
        let delay = deadline - clock.now()
        timerTask = Task { [weak self] in
            if delay > .zero { try? await Task.sleep(for: delay) }
            guard !Task.isCancelled else { return }
            await self?.timerFired()
        }
    }

    private func timerFired() {
        machine.handleTimeout(now: clock.now())
        drive()
    }

    private func connect() {
        generation += 1
        let current = generation
        let (stream, sink) = AsyncStream.makeStream(of: [UInt8].self)
        outgoing = sink
        let host = self.host
        let port = self.port
        let path = self.path
        let tls = self.tls
        let group = self.group
        connectionTask = Task { [weak self] in
            let connection: RelayWebSocket.Connection
            do throws(RelayConnectFailure) {
                connection = try await RelayWebSocket.connect(
                    host: host,
                    port: port,
                    path: path,
                    tls: tls,
                    group: group
                )
            } catch {
                await self?.failed(error, current)
                return
            }
            // Once open, the connection ends by a close from either side or an IO error; the machine only
            // needs to know that it ended (errors after login are not connect failures).
            do {
                await self?.opened(current)
                try await connection.executeThenClose { inbound, outbound in
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            for await bytes in stream { try await outbound.write(RelayWebSocket.binary(bytes)) }
                            try? await outbound.write(
                                WebSocketFrame(
                                    fin: true,
                                    opcode: .connectionClose,
                                    maskKey: .random(),
                                    data: ByteBuffer()
                                )
                            )
                        }
                        group.addTask {
                            for try await frame in inbound {
                                switch frame.opcode {
                                case .binary: await self?.received(Array(frame.unmaskedData.readableBytesView), current)
                                case .connectionClose: return
                                default: continue
                                }
                            }
                        }
                        // Whichever side ends first ends the connection.
                        try await group.next()
                        group.cancelAll()
                    }
                }
            } catch {
                // An open connection that fails (reset, write error) has simply ended: `.disconnected`
                // reports it, and a failure before login is reported by the machine as `closedDuringLogin`.
            }
            await self?.closed(current)
        }
    }

    private func opened(_ current: Int) {
        guard current == generation else { return }
        machine.connectionOpened()
        drive()
    }

    private func failed(_ failure: RelayConnectFailure, _ current: Int) {
        guard current == generation else { return }
        outgoing?.finish()
        outgoing = nil
        machine.connectFailed(failure, now: clock.now())
        drive()
    }

    private func received(_ bytes: [UInt8], _ current: Int) {
        guard current == generation else { return }
        machine.received(bytes)
        drive()
    }

    private func closed(_ current: Int) {
        guard current == generation else { return }
        outgoing?.finish()
        outgoing = nil
        machine.connectionClosed(now: clock.now())
        drive()
    }
}
