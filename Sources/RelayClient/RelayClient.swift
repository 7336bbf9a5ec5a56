import MeshCore
import NIOCore
import NIOWebSocket
import RelayFallback

/// A relay client: the sans-IO `RelayClientMachine` driven over a real WebSocket. It reconnects on its own
/// (backoff with jitter), resends unanswered envelopes and acknowledges deliveries; `events` yields what the
/// machine reports. The event stream buffers without bound, so its reader must keep up.
public actor RelayClient {
    public nonisolated let events: AsyncStream<RelayClientEvent>
    private let eventSink: AsyncStream<RelayClientEvent>.Continuation
    private var machine: RelayClientMachine<SystemRandom>
    private let host: String
    private let port: Int
    private let tls: RelayClientTLS?
    private let clock: any MeshClock
    private var outgoing: AsyncStream<[UInt8]>.Continuation?
    private var connectionTask: Task<Void, Never>?
    private var timerTask: Task<Void, Never>?
    private var generation = 0

    public init(
        identity: AgentIdentity,
        host: String,
        port: Int,
        expectedRelay: Ed25519.PublicKey? = nil,
        tls: RelayClientTLS? = nil,
        backoff: BackoffPolicy = BackoffPolicy(initial: .milliseconds(200), maximum: .seconds(10)),
        clock: any MeshClock = SystemClock()
    ) {
        (events, eventSink) = AsyncStream.makeStream(of: RelayClientEvent.self)
        machine = RelayClientMachine(
            identity: identity,
            expectedRelay: expectedRelay,
            backoff: backoff,
            random: SystemRandom()
        )
        self.host = host
        self.port = port
        self.tls = tls
        self.clock = clock
    }

    public var isReady: Bool { machine.isReady }

    public func start() {
        machine.start()
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
        while let event = machine.pollEvent() { eventSink.yield(event) }
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
        let tls = self.tls
        connectionTask = Task { [weak self] in
            do {
                let connection = try await RelayWebSocket.connect(host: host, port: port, tls: tls)
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
            } catch {}
            await self?.closed(current)
        }
    }

    private func opened(_ current: Int) {
        guard current == generation else { return }
        machine.connectionOpened()
        drive()
    }

    private func received(_ bytes: [UInt8], _ current: Int) {
        guard current == generation else { return }
        machine.received(bytes)
        machine.flushAcks()
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
