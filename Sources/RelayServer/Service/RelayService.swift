import Logging
import MeshCore
import NIOCore
import NIOWebSocket
import RelayFallback

/// The adapter between the hub and the world: a `switch` over `RelayHubAction`s (design rule 2).
///
/// Thread safety: every mutable property is touched only on `eventLoop` (the relay runs one event loop for
/// all its channels, so the WebSocket handlers call in on that loop); each entry point asserts it. That
/// confinement is what makes the `@unchecked Sendable` sound.
final class RelayService: @unchecked Sendable {
    let eventLoop: any EventLoop
    let store: EnvelopeStore
    let clock: any MeshClock
    let logger: Logger
    let metrics = RelayMetrics()
    private var hub: RelayHub<SystemRandom>
    private var channels: [ConnectionID: any Channel] = [:]
    private var unflushed: Set<ConnectionID> = []
    /// The hub's answers to one read burst (every frame NIO read from one connection before
    /// `channelReadComplete`), performed together: one SQLite transaction, one flush per connection.
    private var burst: [RelayHubAction] = []
    /// `accepted` answers held back so consecutive ones leave as one `acceptedBatch` frame; released before
    /// anything else is written to (or closes) the connection, so the order on the wire is unchanged.
    private var heldAnswers: [ConnectionID: [AcceptedEntry]] = [:]
    private var nextConnection: UInt64 = 1
    /// One timer for the hub's next deadline (design rule 4), reset only when that deadline changes.
    private var timer: Scheduled<Void>?
    private var timerDeadline: Timestamp?
    private var timerStarted = false
    /// The hub's redelivery count already added to the counter.
    private var countedRedeliveries = 0
    private(set) var isShuttingDown = false
    /// A lab relay that lies (issue 19's hostile relay); nil for every real relay.
    private var adversary: RelayAdversary<SeededRandom>?

    init(
        identity: AgentIdentity,
        limits: RelayLimits,
        store: EnvelopeStore,
        eventLoop: any EventLoop,
        clock: any MeshClock,
        logger: Logger,
        adversary: RelayAdversaryPlan? = nil
    ) throws {
        self.adversary = adversary.map { RelayAdversary(plan: $0, random: SeededRandom(seed: $0.seed)) }
        self.eventLoop = eventLoop
        self.store = store
        self.clock = clock
        self.logger = logger
        hub = RelayHub(relayKey: identity.publicKey, limits: limits, random: SystemRandom(), now: clock.now())
        let metas = try store.loadMetadata()
        let expired = hub.restore(metas, now: clock.now())
        let delivered = try store.loadDelivered(now: clock.now())
        hub.restoreDelivered(delivered, now: clock.now())
        logger.info(
            "relay store loaded",
            metadata: ["envelopes": "\(metas.count)", "delivered_ids": "\(delivered.count)"]
        )
        perform(expired)
        updateGauges()
    }

    func startTimer() {
        eventLoop.preconditionInEventLoop()
        timerStarted = true
        rescheduleTimer()
    }

    /// Arms the timer for `hub.nextDeadline()` when it differs from the armed one. A spurious or early firing
    /// is harmless: `tick` does only what is due.
    private func rescheduleTimer() {
        guard timerStarted, !isShuttingDown else { return }
        let deadline = [hub.nextDeadline(), adversary?.nextDeadline()].compactMap { $0 }.min()
        guard deadline != timerDeadline else { return }
        timer?.cancel()
        timerDeadline = deadline
        guard let deadline else { return }
        let delay = max(deadline - clock.now(), .zero)
        timer = eventLoop.scheduleTask(in: .nanoseconds(delay.nanoseconds)) { [self] in
            self.timerDeadline = nil
            self.endOfBurst()
            if let held = self.adversary?.due(now: self.clock.now()), !held.isEmpty { self.execute(held) }
            self.perform(self.hub.tick(now: self.clock.now()))
        }
    }

    /// A WebSocket finished its upgrade.
    func open(_ channel: any Channel, source: String) -> ConnectionID {
        eventLoop.preconditionInEventLoop()
        let id = ConnectionID(nextConnection)
        nextConnection += 1
        channels[id] = channel
        endOfBurst()
        perform(hub.connect(id, source: source, now: clock.now()))
        metrics.connections.record(channels.count)
        return id
    }

    func receive(_ id: ConnectionID, bytes: [UInt8]) {
        eventLoop.preconditionInEventLoop()
        burst += hub.receive(id, bytes: bytes, now: clock.now())
        // Bounded: a connection that keeps the socket full still gets answers and durability in steps.
        if burst.count >= Self.maximumBurstActions { endOfBurst() }
    }

    /// At most this many hub actions wait for the end of a read burst.
    static let maximumBurstActions = 1_024

    /// NIO has delivered everything it read from a connection for now: perform the burst's actions.
    func endOfBurst() {
        eventLoop.preconditionInEventLoop()
        guard !burst.isEmpty else { return }
        let actions = burst
        burst.removeAll(keepingCapacity: true)
        perform(actions)
    }

    func closed(_ id: ConnectionID) {
        eventLoop.preconditionInEventLoop()
        endOfBurst()
        guard channels.removeValue(forKey: id) != nil else { return }
        perform(hub.disconnect(id, now: clock.now()))
        metrics.connections.record(channels.count)
    }

    /// Tells every client the relay is going away, writes live deliveries to disk, closes every connection.
    func beginShutdown() {
        eventLoop.preconditionInEventLoop()
        endOfBurst()
        isShuttingDown = true
        timer?.cancel()
        perform(hub.shutdown(now: clock.now()))
    }

    var openChannelCount: Int { channels.count }

    func isOpen(_ id: ConnectionID) -> Bool { channels[id] != nil }

    /// Performs the hub's actions, first through the adversary when this is a hostile lab relay.
    func perform(_ actions: [RelayHubAction]) {
        guard adversary != nil else { return execute(actions) }
        execute(adversary!.transform(actions, now: clock.now()))
    }

    /// What the hostile relay has done so far, by attack (empty for a real relay).
    var adversaryCounts: [String: Int] {
        Dictionary(uniqueKeysWithValues: (adversary?.counts ?? [:]).map { ($0.key.rawValue, $0.value) })
    }

    /// Performs actions in order, except that every `persist` among them is written first, in one
    /// transaction: each `persist` precedes the `accepted(.stored)` it makes true, so writing them all before
    /// any answer keeps that promise while a burst of stored envelopes costs one commit instead of one each.
    private func execute(_ actions: [RelayHubAction]) {
        var failed: Set<EnvelopeID> = []
        var toPersist: [StoredEnvelope] = []
        for case .persist(let envelopes) in actions { toPersist += envelopes }
        if !toPersist.isEmpty {
            do {
                try store.persist(toPersist)
            } catch {
                metrics.storeErrors.increment()
                logger.error(
                    "store write failed",
                    metadata: ["error": "\(error)", "envelopes": "\(toPersist.count)"]
                )
                hub.persistFailed(toPersist)
                failed.formUnion(toPersist.map(\.meta.id))
            }
        }
        var remembered: [DeliveredRecord] = []
        var deleted: [EnvelopeID] = []
        for action in actions {
            switch action {
            case .send(let id, let message):
                if case .accepted(let envelopeID, .stored) = message, failed.contains(envelopeID) {
                    write(
                        .refused(RelayRefusal(.storageFull, envelopeID: envelopeID, "the relay could not store it")),
                        to: id
                    )
                } else {
                    write(message, to: id)
                }
            case .close(let id):
                close(id)
            case .persist:
                continue
            case .remember(let records):
                remembered += records
            case .delete(let ids):
                deleted += ids
            case .deliverStored(let id, let metas):
                deliverStored(metas, to: id)
            }
        }
        // What acks and expiry settled, in one transaction per list (a burst of acks costs one commit).
        if !remembered.isEmpty || !deleted.isEmpty {
            do {
                try store.settle(
                    remember: remembered,
                    capacity: hub.limits.recentlyDeliveredMemory,
                    delete: deleted
                )
            } catch {
                metrics.storeErrors.increment()
                logger.error("store settle failed", metadata: ["error": "\(error)"])
            }
        }
        flush()
        updateGauges()
        rescheduleTimer()
    }

    private func deliverStored(_ metas: [StoredEnvelopeMeta], to id: ConnectionID) {
        do {
            let payloads = try store.payloads(metas.map(\.sequence))
            for meta in metas {
                guard let payload = payloads[meta.sequence] else { continue }
                let delivery = DeliveredEnvelope(
                    id: meta.id,
                    sender: meta.sender,
                    sequence: meta.sequence,
                    payload: payload
                )
                write(.deliver(delivery), to: id)
            }
        } catch {
            metrics.storeErrors.increment()
            logger.error("store read failed", metadata: ["error": "\(error)"])
        }
    }

    private func write(_ message: RelayMessage, to id: ConnectionID) {
        metrics.count(message)
        guard channels[id] != nil else { return }
        if case .accepted(let envelopeID, let disposition) = message {
            heldAnswers[id, default: []].append(AcceptedEntry(envelopeID, disposition))
            if heldAnswers[id]?.count == RelayMessage.maximumAcceptedBatch { releaseAnswers(id) }
            return
        }
        releaseAnswers(id)
        writeFrame(message, to: id)
    }

    /// Writes the held `accepted` answers: one alone as `accepted`, several as one `acceptedBatch`.
    private func releaseAnswers(_ id: ConnectionID) {
        guard let entries = heldAnswers.removeValue(forKey: id), let first = entries.first else { return }
        writeFrame(entries.count == 1 ? .accepted(first.id, first.disposition) : .acceptedBatch(entries), to: id)
    }

    private func writeFrame(_ message: RelayMessage, to id: ConnectionID) {
        guard let channel = channels[id] else { return }
        let bytes = message.encoded()
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        channel.write(WebSocketFrame(fin: true, opcode: .binary, data: buffer), promise: nil)
        unflushed.insert(id)
    }

    private func flush() {
        for id in Array(heldAnswers.keys) { releaseAnswers(id) }
        for id in unflushed { channels[id]?.flush() }
        unflushed.removeAll(keepingCapacity: true)
    }

    /// A WebSocket close frame (1008 policy violation, 1001 going away when shutting down), then TCP close
    /// once the client has answered or a second has passed.
    private func close(_ id: ConnectionID) {
        releaseAnswers(id)
        guard let channel = channels.removeValue(forKey: id) else { return }
        unflushed.remove(id)
        var data = channel.allocator.buffer(capacity: 2)
        data.write(webSocketErrorCode: isShuttingDown ? .goingAway : .policyViolation)
        let frame = WebSocketFrame(fin: true, opcode: .connectionClose, data: data)
        channel.writeAndFlush(frame, promise: nil)
        // RFC 6455 closing handshake: the client answers and closes; if it does not, cut it after a second.
        // Closing at once could discard the refusal on a client still finishing its upgrade.
        channel.eventLoop.scheduleTask(in: .seconds(1)) { channel.close(promise: nil) }
        metrics.connections.record(channels.count)
    }

    /// The largest output any one connection has buffered now (the bound is `outputBufferMaximumBytes` plus
    /// the answers to one read burst; `OutputBound` stops reading above it).
    func recordBufferedOutput() {
        eventLoop.preconditionInEventLoop()
        var largest = 0
        for channel in channels.values {
            let buffered = (try? channel.syncOptions?.getOption(.bufferedWritableBytes)) ?? 0
            largest = max(largest, buffered)
        }
        metrics.largestOutputBuffer.record(largest)
    }

    private func updateGauges() {
        metrics.heldEnvelopes.record(hub.heldCount)
        metrics.heldBytes.record(hub.heldBytes)
        metrics.authenticated.record(hub.authenticatedCount)
        if hub.redeliveries > countedRedeliveries {
            metrics.redelivered.increment(by: hub.redeliveries - countedRedeliveries)
            countedRedeliveries = hub.redeliveries
        }
    }
}
