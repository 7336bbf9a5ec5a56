import ICE
import MeshCore
import NIOCore

/// Loop-confined state of an `ICESession`: the agent, the sockets and the gathering probes.
///
/// `@unchecked Sendable` is sound because every `var` is touched only on `loop`: the session calls in through
/// `loop.submit`/`flatSubmit`, the sockets' handlers run on `loop` (they were bound on it), and timers are
/// scheduled on it. `receive` asserts this.
final class SessionCore: @unchecked Sendable {
    var agent: ICEAgent<SystemRandom>
    let loop: EventLoop
    let events: AsyncStream<ICEEvent>.Continuation
    /// Where gathered candidates are reported (`ICESession.localCandidates`); finished when gathering ends.
    let localCandidates: AsyncStream<Candidate>.Continuation
    /// Gathering is over (every STUN probe answered or gave up): the description says end-of-candidates.
    var gatheringComplete = false
    var incoming: IncomingBatcher
    /// Application datagrams the consumer had no room for (see `ICESession.incomingBufferLimit`).
    var droppedIncoming: Int { incoming.dropped }
    /// Where application data goes when the consumer has followed a NAT rebinding (`ICESession.redirect`).
    var dataRedirect: DataRedirect?
    let clock = SystemClock()
    var sockets: [TransportAddress: UDPSocket] = [:]
    var probes: [TransportAddress: NATProbe<SystemRandom>] = [:]
    var gathered: EventLoopPromise<Void>?
    var timer: Scheduled<Void>?
    var probeTimer: Scheduled<Void>?
    let predictionSockets = PredictionSockets()

    init(
        agent: ICEAgent<SystemRandom>,
        loop: EventLoop,
        events: AsyncStream<ICEEvent>.Continuation,
        incoming: IncomingBatcher,
        localCandidates: AsyncStream<Candidate>.Continuation
    ) {
        self.agent = agent
        self.loop = loop
        self.events = events
        self.incoming = incoming
        self.localCandidates = localCandidates
    }

    /// Adds a candidate the session gathered, and reports it if the agent kept it (not a duplicate, within bounds).
    func addGathered(_ candidate: Candidate, now: Timestamp) {
        let before = agent.localCandidates.count
        agent.addLocalCandidate(candidate, now: now)
        if agent.localCandidates.count > before { localCandidates.yield(candidate) }
    }

    /// Host candidates at once, the address families interleaved (`HostPreference`); server-reflexive ones when
    /// every STUN probe has finished.
    func gather(sockets list: [UDPSocket], stunServers: [TransportAddress]) -> EventLoopFuture<Void> {
        let now = clock.now()
        let preferences = HostPreference.localPreferences(for: list.map(\.localAddress))
        let ordered = list.sorted { (preferences[$0.localAddress] ?? 0) > (preferences[$1.localAddress] ?? 0) }
        for socket in ordered {
            sockets[socket.localAddress] = socket
            let preference = preferences[socket.localAddress] ?? 0
            addGathered(Candidate(kind: .host, address: socket.localAddress, localPreference: preference), now: now)
            let servers = stunServers.filter { $0.ip.isIPv4 == socket.localAddress.ip.isIPv4 }
            guard !servers.isEmpty else { continue }
            var probe = NATProbe(servers: servers, random: SystemRandom(), measureFiltering: false)
            probe.start(now: now)
            probes[socket.localAddress] = probe
        }
        let promise = loop.makePromise(of: Void.self)
        gathered = promise
        pumpProbes()
        // Host candidates may already pair with trickled remote ones: send those checks now.
        pump()
        return promise.futureResult
    }

    func pumpProbes() {
        let now = clock.now()
        for (base, var probe) in probes {
            while let (to, bytes) = probe.pollTransmit() { sockets[base]?.send(bytes, to: to) }
            probes[base] = probe
        }
        probeTimer?.cancel()
        if let deadline = probes.values.compactMap({ $0.pollTimeout() }).min() {
            probeTimer = loop.scheduleTask(in: .nanoseconds(max(0, (deadline - now).nanoseconds))) { [self] in
                for base in probes.keys { probes[base]?.handleTimeout(now: clock.now()) }
                pumpProbes()
            }
        } else if let promise = gathered {
            for (base, probe) in probes {
                for mapped in probe.mappedAddresses where mapped != base {
                    let srflx = Candidate(kind: .serverReflexive, address: mapped, base: base, relatedAddress: base)
                    addGathered(srflx, now: now)
                }
            }
            agent.setLocalNAT(Self.natHint(from: probes))
            probes = [:]
            gathered = nil
            gatheringComplete = true
            localCandidates.finish()
            promise.succeed(())
        }
    }

    func receive(_ bytes: [UInt8], from: TransportAddress, to: TransportAddress) {
        loop.preconditionInEventLoop()
        if var probe = probes[to], probe.handleInput(bytes, from: from, now: clock.now()) {
            probes[to] = probe
            pumpProbes()
            return
        }
        // Application data on the selected socket from any address: a NAT that rebinds the peer mid-session sends
        // from a new one. The consumer authenticates every datagram and decides whether to follow (`redirect`).
        // Nothing but STUN changes the agent, so data skips `pump` (and its timer re-arm) on the hot path.
        guard agent.handleInput(bytes, from: from, to: to, now: clock.now()) == .notSTUN else {
            pump()
            return
        }
        // Before this side has selected a pair, data may already come: the controlled agent selects only once its
        // own triggered check succeeds, while the controlling peer starts sending the moment it has a nominated
        // pair. Dropping that first flight cost the channel a full initial probe timeout (about a second) and cut a
        // loopback transfer from ~500 to ~110 Mbit/s. The consumer authenticates everything, and the queue is
        // bounded either way.
        if agent.selected == nil || agent.selected?.base == to {
            incoming.append(IncomingDatagram(bytes: bytes, from: from))
        }
    }

    /// A socket's read burst ended: hand what it brought to the consumer as one batch.
    func readComplete() {
        loop.preconditionInEventLoop()
        incoming.flush()
    }

    func sendData(_ bytes: [UInt8]) -> Bool {
        guard let pair = agent.selected, let socket = sockets[pair.base] else { return false }
        socket.send(bytes, to: DataRedirect.destination(for: pair, redirect: dataRedirect))
        return true
    }

    /// One datagram from the selected pair's socket to an explicit address (a path-validation probe).
    func sendData(_ bytes: [UInt8], to remote: TransportAddress) -> Bool {
        guard let pair = agent.selected, let socket = sockets[pair.base] else { return false }
        socket.send(bytes, to: remote)
        return true
    }

    /// Several datagrams with one flush, so NIO hands them to the kernel in one vector write (sendmmsg).
    func sendData(batch: [[UInt8]]) -> Bool {
        guard let pair = agent.selected, let socket = sockets[pair.base] else { return false }
        socket.send(batch: batch, to: DataRedirect.destination(for: pair, redirect: dataRedirect))
        return true
    }

    /// Drains the agent's outputs and re-arms its single timer (design rule 4: timers are data).
    func pump() {
        while let request = agent.pollPortPrediction() { handlePrediction(request) }
        while let transmit = agent.pollTransmit() { sockets[transmit.from]?.send(transmit.bytes, to: transmit.to) }
        while let event = agent.pollEvent() { events.yield(event) }
        timer?.cancel()
        timer = nil
        guard let deadline = agent.pollTimeout() else { return }
        timer = loop.scheduleTask(in: .nanoseconds(max(0, (deadline - clock.now()).nanoseconds))) { [self] in
            agent.handleTimeout(now: clock.now())
            pump()
        }
    }

    /// Returns the sockets to close and the prediction binder still running, if any (the caller awaits it so no
    /// socket it was binding outlives the session: a late one finds `closed` set and closes itself).
    func shutdown() -> (sockets: [UDPSocket], binding: Task<Void, Never>?) {
        timer?.cancel()
        probeTimer?.cancel()
        let binding = predictionSockets.binding
        stopPrediction()
        events.finish()
        localCandidates.finish()
        if let promise = gathered {
            // Shut down mid-gathering (trickle): nobody waits on it any more, but a promise must not leak.
            gathered = nil
            promise.fail(ICEDriverError(code: .closed, reason: "the session closed while gathering"))
        }
        incoming.flush()
        incoming.finish()
        let all = Array(sockets.values)
        sockets = [:]
        return (all, binding)
    }
}
