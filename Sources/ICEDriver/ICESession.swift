import ICE
import MeshCore
import NIOCore
import NIOPosix

/// An ICE agent on real UDP sockets: one socket per host address, server-reflexive gathering through STUN on
/// those sockets, timers on the sockets' event loop. Application datagrams (non-STUN) arrive on `incoming`;
/// `send` uses the selected pair. See docs/ice.md.
public final class ICESession: Sendable {
    public let events: AsyncStream<ICEEvent>
    public let incoming: IncomingBatches
    /// The candidates the session gathers itself, each as it is gathered: host candidates at once, server-reflexive
    /// ones when the STUN probes finish. It finishes at end-of-candidates (gathering is over), so a trickling owner
    /// sends each one and then the end-of-candidates mark (RFC 8838). Candidates added with `addLocalCandidate` are
    /// the owner's own and are not repeated here. At most `ICEAgentConfig.maximumLocalCandidates`.
    public let localCandidates: AsyncStream<Candidate>
    let core: SessionCore
    let loop: EventLoop

    /// Binds, gathers host and server-reflexive candidates (bounded: STUN gives up after 2.5 s), and returns a
    /// session whose `localDescription` is complete.
    ///
    /// With `trickle` (RFC 8838) it returns as soon as the host candidates are in: server-reflexive gathering goes
    /// on in the background, `localCandidates` reports each candidate, and `localDescription` says
    /// `endOfCandidates: false` until gathering is over. The peer's candidates may likewise come one by one
    /// (`addRemoteCandidate`, `setRemoteEndOfCandidates`) after a description with none.
    public static func start(
        role: ICERole,
        hostAddresses: [IPAddress],
        port: UInt16 = 0,
        stunServers: [TransportAddress] = [],
        config: ICEAgentConfig = ICEAgentConfig(),
        trickle: Bool = false,
        group: EventLoopGroup
    ) async throws -> ICESession {
        guard !hostAddresses.isEmpty else {
            throw ICEDriverError(code: .noAddresses, reason: "no host address to bind")
        }
        let loop = group.next()
        let (events, eventSink) = AsyncStream.makeStream(of: ICEEvent.self, bufferingPolicy: .bufferingNewest(64))
        // The datagram limit is enforced by the batcher; the stream itself only ever holds that much.
        let (stream, dataSink) = AsyncStream.makeStream(of: [IncomingDatagram].self)
        // Bounded by the agent's own limit: it refuses, and so never reports, more local candidates than that.
        let (candidates, candidateSink) = AsyncStream.makeStream(
            of: Candidate.self,
            bufferingPolicy: .bufferingOldest(config.maximumLocalCandidates)
        )
        let queued = LockedValue(0)
        let core = SessionCore(
            agent: ICEAgent(role: role, config: config, random: SystemRandom()),
            loop: loop,
            events: eventSink,
            incoming: IncomingBatcher(sink: dataSink, queued: queued, limit: incomingBufferLimit),
            localCandidates: candidateSink
        )
        let incoming = IncomingBatches(stream: stream, queued: queued)
        var sockets: [UDPSocket] = []
        for ip in hostAddresses.prefix(config.maximumLocalCandidates) {
            let socket = try await UDPSocket.bind(
                TransportAddress(ip: ip, port: port),
                group: loop,
                onReadComplete: { core.readComplete() },
                onDatagram: { bytes, from, to in core.receive(bytes, from: from, to: to) }
            )
            sockets.append(socket)
        }
        let bound = sockets
        let gathered = try await loop.submit { core.gather(sockets: bound, stunServers: stunServers) }.get()
        if !trickle { try await gathered.get() }
        return ICESession(core: core, loop: loop, events: events, incoming: incoming, localCandidates: candidates)
    }

    /// Application datagrams held for a consumer that lags: about 6 MiB of 1,500-byte datagrams, more than a
    /// direct channel's receive window, so a consumer that keeps up with its own flow control never loses one.
    /// Beyond it new datagrams are dropped (a full queue, as in a router) and counted (`droppedIncoming`).
    public static let incomingBufferLimit = 4_096

    init(
        core: SessionCore,
        loop: EventLoop,
        events: AsyncStream<ICEEvent>,
        incoming: IncomingBatches,
        localCandidates: AsyncStream<Candidate>
    ) {
        self.core = core
        self.loop = loop
        self.events = events
        self.incoming = incoming
        self.localCandidates = localCandidates
    }

    /// Our credentials and the candidates gathered so far; `endOfCandidates` is true once gathering is over (always,
    /// unless the session was started with `trickle`).
    public func localDescription() async throws -> ICEDescription {
        try await loop.submit { self.core.agent.localDescription(endOfCandidates: self.core.gatheringComplete) }.get()
    }

    /// A candidate the peer trickled (RFC 8838): pairs form with it and checks start (or go on) at once. Bounded by
    /// `ICEAgentConfig.maximumRemoteCandidates`; a duplicate address is ignored.
    public func addRemoteCandidate(_ candidate: Candidate) async throws {
        try await loop.submit {
            self.core.agent.addRemoteCandidate(candidate, now: self.core.clock.now())
            self.core.pump()
        }.get()
    }

    /// The peer's NAT hint, when it trickled after the peer's description (`ICEAgent.setRemoteNAT`).
    public func setRemoteNAT(_ hint: ICENATHint) async throws {
        try await loop.submit {
            self.core.agent.setRemoteNAT(hint)
            self.core.pump()
        }.get()
    }

    /// The peer has no more candidates: from now on, every pair failing fails the session (`all-pairs-failed`)
    /// instead of waiting for the checking timeout.
    public func setRemoteEndOfCandidates() async throws {
        try await loop.submit {
            self.core.agent.setRemoteEndOfCandidates(now: self.core.clock.now())
            self.core.pump()
        }.get()
    }

    public func setRemote(_ description: ICEDescription) async throws {
        try await loop.submit {
            self.core.agent.setRemote(description, now: self.core.clock.now())
            self.core.pump()
        }.get()
    }

    /// Adds a candidate found outside the session: a port mapping, or later the relay path (the gathering hook).
    /// Its base must be one of the session's sockets.
    public func addLocalCandidate(_ candidate: Candidate) async throws {
        try await loop.submit {
            self.core.agent.addLocalCandidate(candidate, now: self.core.clock.now())
            self.core.pump()
        }.get()
    }

    /// The sockets' bound addresses (the bases of the host candidates).
    public func bases() async throws -> [TransportAddress] {
        try await loop.submit {
            self.core.sockets.keys.filter { !self.core.predictionSockets.open.contains($0) }.sorted()
        }.get()
    }

    /// Sends application data on the selected pair; false when none is selected.
    public func send(_ bytes: [UInt8]) async throws -> Bool {
        try await loop.submit { self.core.sendData(bytes) }.get()
    }

    /// Sends several datagrams on the selected pair without waiting: one hop to the event loop and one vector
    /// write for the lot. Datagrams are dropped when no pair is selected (UDP promises nothing anyway).
    public func send(batch: [[UInt8]]) {
        guard !batch.isEmpty else { return }
        loop.execute { _ = self.core.sendData(batch: batch) }
    }

    /// Sends one datagram to `remote` from the selected pair's socket, leaving where data goes unchanged: a
    /// consumer's path-validation probe to an address the peer seems to have moved to. Dropped when no pair is
    /// selected.
    public func send(_ bytes: [UInt8], to remote: TransportAddress) {
        loop.execute { _ = self.core.sendData(bytes, to: remote) }
    }

    /// Sends application data to `remote` from now on, on the selected pair's socket: the consumer validated that the
    /// peer answers there (its NAT rebound). The agent's selected pair moves with it (`ICEAgent.moveSelectedPair`), so
    /// consent checks probe the new address too and the session outlives the rebinding; the move does not renew
    /// consent, the new address must answer. If the agent refuses the move (another address family), data is still
    /// redirected, and the redirect lapses if ICE selects another pair.
    public func redirect(to remote: TransportAddress) {
        loop.execute {
            guard self.core.agent.selected != nil else { return }
            if self.core.agent.moveSelectedPair(to: remote, now: self.core.clock.now()) {
                self.core.dataRedirect = nil
                self.core.pump()
            } else if let pair = self.core.agent.selected {
                self.core.dataRedirect = DataRedirect(pair: pair, remote: remote)
            }
        }
    }

    /// The pair ICE has selected (its remote follows `redirect`), or nil before selection and after consent is lost.
    public func selectedPair() async throws -> PairKey? {
        try await loop.submit { self.core.agent.selected }.get()
    }

    /// Application datagrams dropped because the consumer lagged more than `incomingBufferLimit` behind.
    public func droppedIncoming() async -> Int {
        (try? await loop.submit { self.core.droppedIncoming }.get()) ?? 0
    }

    public func close() async {
        let (sockets, binding) = (try? await loop.submit { self.core.shutdown() }.get()) ?? ([], nil)
        for socket in sockets { await socket.close() }
        await binding?.value
    }
}
