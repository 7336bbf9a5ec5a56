import DirectPath
import DirectPathDriver
import Foundation
import GRDB
import ICE
import ICEDriver
import MeshCore
import MeshPeer
import NIOCore

/// What the node needs to run direct paths: where to bind ICE host candidates, which STUN servers to ask, and the
/// process's event-loop group (design rule: one per process, handed down).
struct DirectSetup: Sendable {
    var hosts: [IPAddress]
    var stun: [TransportAddress]
    var group: any EventLoopGroup
    /// Loopback candidates from a peer are used only when we bind loopback ourselves (a local mesh): elsewhere a
    /// remote peer naming 127.0.0.1 would aim our checks at our own services.
    var allowLoopbackCandidates: Bool
    /// Asks the gateway (PCP, NAT-PMP, UPnP IGD) to map each attempt's ICE socket; nil when `direct.portMapping` is
    /// off or the node binds loopback only.
    var portMapping: PortMapAvailability? = nil
}

/// One attempt's IO: its ICE session once gathered, and the channel's transport once ICE selected a pair.
struct DirectLink: Sendable {
    let peer: PathPeer
    var session: ICESession?
    var transport: DirectTransport?
    /// The pair ICE selected (for the owner's `GET /v1/paths`).
    var selected: (local: TransportAddress, remote: TransportAddress)?
    /// The gateway's mapping of this attempt's socket, deleted when the attempt ends.
    var portMap: PortMapLease?
    var tasks: [Task<Void, Never>] = []
}

/// Messages on a direct channel: one tag byte, then the body. `hello` proves the peer holds the channel keys (the
/// path is validated when it arrives); `envelope` carries exactly the bytes a relay would (a `MeshEnvelope` session
/// frame), so the receiver stores, deduplicates and receipts it the same way whichever path brought it.
enum DirectFrame {
    static let hello: UInt8 = 1
    static let envelope: UInt8 = 2
    /// Envelopes taken from the channel per read, stored in one transaction.
    static let batch = 256
}

extension AgentNode {
    /// The IO side of `PathManager`: carries out its actions, feeds it what the sockets and the session report, and
    /// keeps its one timer. Protocol decisions stay in the manager.
    /// Carries out what the manager asked for, in a task of its own: the caller is often one of a link's tasks (its
    /// ICE events, its channel reader), and a `discard` among the actions cancels exactly those tasks. Run there,
    /// the database writes that follow the discard (requeueing what the channel carried, the `close` signal to the
    /// peer) would fail with `CancellationError` (the network lab saw both at every lost consent).
    func runPathActions() async {
        await Task { await self.drainPathActions() }.value
    }

    func drainPathActions() async {
        // After shutdown began nothing is carried out: the channels are closing on purpose.
        guard !pathsClosed else { return }
        while let action = paths.pollAction() {
            switch action {
            case .gather(let attempt, let peer, let controlling):
                figures.directAttempts.increment()
                startGathering(attempt: attempt, peer: peer, controlling: controlling)
            case .signal(let peer, let signal):
                await sendPathSignal(signal, to: peer)
            case .setRemote(let attempt, let ice):
                await setRemote(attempt: attempt, ice)
            case .addRemoteCandidates(let attempt, let candidates, let end, let nat):
                await addRemoteCandidates(attempt: attempt, candidates, endOfCandidates: end, nat: nat)
            case .openChannel(let opening):
                await openChannel(opening)
            case .useDirect(let peer, let attempt):
                directPeers[peer.did] = attempt
                figures.directUpgrades.increment()
                if let last = paths.statistics.timeToDirect.last { figures.timeToDirect.record(last.milliseconds) }
                figures.directChannels.record(directPeers.count)
                logger.info("direct path up", metadata: ["peer": "\(peer.did)", "attempt": "\(attempt)"])
                wakeOutbox()
            case .useRelay(let peer, let reason):
                directPeers[peer.did] = nil
                figures.directFallbacks.increment()
                figures.directChannels.record(directPeers.count)
                logger.info("back on the relay", metadata: ["peer": "\(peer.did)", "reason": "\(reason)"])
                let now = self.now
                let did = peer.did
                // What the channel carried without a receipt goes again through the relay; the receiver
                // deduplicates by message ID, so a copy that did arrive is not shown twice.
                await persist("requeueing what a closed direct channel carried") { db in
                    try OutboxStore.requeueDirect(peer: did, now: now, db)
                }
                wakeOutbox()
            case .discard(let attempt, let reason):
                await discardLink(attempt, reason: reason)
            }
        }
        schedulePathTimer()
    }

    func schedulePathTimer() {
        pathTimer?.cancel()
        pathTimer = nil
        guard let deadline = paths.pollTimeout() else { return }
        let delay = max(deadline - now, .milliseconds(1))
        pathTimer = Task {
            try? await Task.sleep(for: delay)
            guard !Task.isCancelled else { return }
            await self.pathTimerFired()
        }
    }

    func pathTimerFired() async {
        paths.handleTimeout(now: now)
        await runPathActions()
    }

    /// A contact has something to send: try to take the conversation direct (the manager decides whether to).
    func considerDirect(for entries: [OutboxEntry]) async {
        guard direct != nil else { return }
        var seen = Set<String>()
        for entry in entries where entry.kind == .message && seen.insert(entry.peer).inserted {
            paths.wantDirect(PathPeer(did: entry.peer, key: entry.peerKey), now: now)
        }
        await runPathActions()
    }

    func receivedPathSignal(_ signal: PathSignal, from peer: PathPeer) async {
        guard direct != nil else { return }
        let verdict = paths.received(signal, from: peer, now: now)
        if case .ignored(let reason) = verdict {
            logger.debug("path signal ignored", metadata: ["peer": "\(peer.did)", "reason": "\(reason)"])
        }
        await runPathActions()
    }

    /// Signals ride the encrypted session like any payload: encrypted and queued in one transaction, then sent by
    /// the outbox over whatever path the conversation uses. They expire after a minute (a stale one is refused).
    func sendPathSignal(_ signal: PathSignal, to peer: PathPeer) async {
        let ledger = self.ledger
        let now = self.now
        do {
            try await database.pool.write { db in
                guard let contact = try ContactStore.contact(key: peer.key, db) else { return }
                var random = SystemRandom()
                try ledger.enqueue(
                    .path(signal),
                    id: MessageID.random(using: &random),
                    kind: .signal,
                    intent: "path.signal",
                    to: (peer.did, peer.key),
                    relays: contact.homes,
                    now: now,
                    expiresAt: now + .seconds(60),
                    db
                )
            }
            wakeOutbox()
        } catch {
            figures.storageErrors.increment()
            logger.error("could not queue a path signal", metadata: ["error": "\(error)"])
        }
    }

    // MARK: ICE

    func startGathering(attempt: UInt64, peer: PathPeer, controlling: Bool) {
        guard let setup = direct else { return }
        var link = DirectLink(peer: peer)
        link.tasks.append(Task { await self.gather(attempt: attempt, controlling: controlling, setup: setup) })
        links[attempt] = link
    }

    func gather(attempt: UInt64, controlling: Bool, setup: DirectSetup) async {
        var mapping: Task<Result<PortMapLease, PortMapRefusal>, Never>?
        do {
            let session = try await ICESession.start(
                role: controlling ? .controlling : .controlled,
                hostAddresses: setup.hosts,
                stunServers: setup.stun,
                trickle: true,
                group: setup.group
            )
            guard links[attempt] != nil else { return await session.close() }
            links[attempt]?.session = session
            // The gateway is asked while the session gathers; the mapped candidate follows by trickle.
            // IPv4 only: the gateways map IPv4 ports (an IPv6 host candidate needs no mapping, only a firewall pinhole).
            if let availability = setup.portMapping, let base = try await session.bases().first(where: { $0.ip.isIPv4 })
            {
                mapping = Task { await availability.map(base, lease: .seconds(3_600)) }
            }
            // Host candidates go at once (RFC 8838), so peers on one host or one LAN connect in one round trip. What
            // gathering learns later (server-reflexive and mapped candidates, and the NAT hint that port prediction
            // needs) follows in one `candidates` signal (`trickleGathered`).
            let first = try await session.localDescription()
            links[attempt]?.tasks.append(
                Task {
                    for await event in session.events { await self.iceEvent(event, attempt: attempt) }
                }
            )
            paths.gathered(attempt: attempt, ice: PathICE(first), now: now)
            if !first.endOfCandidates || mapping != nil {
                let asked = mapping
                mapping = nil
                let sent = Set(first.candidates)
                links[attempt]?.tasks.append(
                    Task {
                        await self.trickleGathered(session: session, attempt: attempt, sent: sent, mapping: asked)
                    }
                )
            }
        } catch {
            // A mapping asked for a session that failed to gather is not left renewing on the gateway.
            if let mapping, case .success(let lease) = await mapping.value { await lease.release() }
            paths.gatherFailed(attempt: attempt, reason: "\(error)", now: now)
        }
        await runPathActions()
    }

    /// After the offer or answer went with the host candidates: waits for gathering to end (every STUN probe
    /// answered or gave up, at most 2.5 s), then for the port mapping (up to its budget when the gateway is known to
    /// map, else 100 ms), and trickles what is new with the NAT hint and end-of-candidates. A mapping still pending
    /// follows on its own (`trickleLateMapping`), and then the end mark does.
    func trickleGathered(
        session: ICESession,
        attempt: UInt64,
        sent: Set<String>,
        mapping: Task<Result<PortMapLease, PortMapRefusal>, Never>?
    ) async {
        for await _ in session.localCandidates {}  // finishes when gathering ends (or the session closes)
        var late: Task<Result<PortMapLease, PortMapRefusal>, Never>?
        if let asked = mapping, let availability = direct?.portMapping, links[attempt] != nil {
            let patience = await availability.patience
            switch await PortMapAvailability.race(Task { () async throws in await asked.value }, within: patience) {
            case .finished(.success(let result)):
                await addMappedCandidate(result, session: session, attempt: attempt)
            case .finished(.failure), .timedOut:
                late = asked
            }
        } else if let asked = mapping {
            Task { if case .success(let lease) = await asked.value { await lease.release() } }
        }
        guard links[attempt] != nil, let description = try? await session.localDescription() else {
            // The attempt ended meanwhile (or its session closed): a mapping still coming is not left on the gateway.
            if let late { Task { if case .success(let lease) = await late.value { await lease.release() } } }
            return
        }
        let fresh = description.candidates.filter { !sent.contains($0) }
        let nat = PathNAT(mapping: description.nat?.mapping ?? "", publicIP: description.nat?.publicIP ?? "")
        paths.gatheredMore(attempt: attempt, candidates: fresh, endOfCandidates: late == nil, nat: nat, now: now)
        await runPathActions()
        if let late { await trickleLateMapping(late, session: session, attempt: attempt) }
    }

    /// A mapping granted after gathering's trickle went: offered by trickle if it comes within the mapping budget
    /// (the task is bounded by it), then end-of-candidates either way, so the peer's ICE can fail early again.
    func trickleLateMapping(
        _ asked: Task<Result<PortMapLease, PortMapRefusal>, Never>,
        session: ICESession,
        attempt: UInt64
    ) async {
        let result = await asked.value
        guard links[attempt] != nil else {
            if case .success(let lease) = result { await lease.release() }
            return
        }
        let candidate = await addMappedCandidate(result, session: session, attempt: attempt)
        if candidate != nil { figures.directLateMappings.increment() }
        paths.gatheredMore(
            attempt: attempt,
            candidates: candidate.map { [$0.sdp] } ?? [],
            endOfCandidates: true,
            now: now
        )
        await runPathActions()
    }

    /// Maps the attempt's first socket on the gateway and offers the mapped address above the STUN-learned one
    /// (reachable from anywhere, where the STUN-learned one may be filtered). The gateway's own idea of its external
    /// address is used unless it is empty, as behind a second NAT; then the STUN-learned address with the mapped port.
    @discardableResult
    func addMappedCandidate(
        _ result: Result<PortMapLease, PortMapRefusal>,
        session: ICESession,
        attempt: UInt64
    ) async -> Candidate? {
        let lease: PortMapLease
        switch result {
        case .success(let granted): lease = granted
        case .failure(let refusal):
            figures.directPortMaps[false]?.increment()
            logger.debug("no port mapping", metadata: ["attempt": "\(attempt)", "reason": "\(refusal)"])
            return nil
        }
        guard links[attempt] != nil else {
            await lease.release()
            return nil
        }
        links[attempt]?.portMap = lease
        figures.directPortMaps[true]?.increment()
        let reflexive = try? await session.localDescription().parsedCandidates.first { $0.kind == .serverReflexive }
        let external = lease.mapping.externalIP.flatMap { $0.bytes.allSatisfy { $0 == 0 } ? nil : $0 }
        guard let ip = external ?? reflexive?.address.ip else { return nil }
        let address = TransportAddress(ip: ip, port: lease.mapping.externalPort)
        logger.info(
            "port mapped",
            metadata: [
                "attempt": "\(attempt)", "method": "\(lease.mapping.method)", "address": "\(address)",
                "ms": "\(lease.elapsed.milliseconds)",
            ]
        )
        let candidate = Candidate(
            kind: .serverReflexive,
            address: address,
            base: lease.mapping.internalAddress,
            relatedAddress: lease.mapping.internalAddress,
            localPreference: 65_535
        )
        do {
            try await session.addLocalCandidate(candidate)
            return candidate
        } catch {
            // The session refused it (closed meanwhile, or the base is gone): the attempt goes on without it.
            logger.notice("mapped candidate not added", metadata: ["attempt": "\(attempt)", "error": "\(error)"])
            return nil
        }
    }

    func iceEvent(_ event: ICEEvent, attempt: UInt64) async {
        switch event {
        case .selected(let local, let remote, let elapsed):
            logger.info(
                "ICE selected a pair",
                metadata: ["attempt": "\(attempt)", "local": "\(local)", "remote": "\(remote)", "ms": "\(elapsed)"]
            )
            links[attempt]?.selected = (local, remote)
            paths.iceSelected(attempt: attempt, now: now)
        case .failed(let failure):
            paths.iceFailed(attempt: attempt, reason: failure.code.rawValue, now: now)
        case .consentLost:
            await links[attempt]?.transport?.consentLost()
            paths.channelClosed(attempt: attempt, reason: "ICE consent lost", now: now)
        default:
            return
        }
        await runPathActions()
    }

    func setRemote(attempt: UInt64, _ ice: PathICE) async {
        guard let session = links[attempt]?.session, let setup = direct else { return }
        let credentials = ICECredentials(ufrag: ice.ufrag, pwd: ice.pwd)
        guard credentials.isValid else {
            paths.iceFailed(attempt: attempt, reason: "the peer's ICE credentials are invalid", now: now)
            return await runPathActions()
        }
        let candidates = ice.candidates.compactMap(Candidate.init(sdp:)).filter {
            AgentNode.usableRemote($0.address.ip, allowLoopback: setup.allowLoopbackCandidates)
        }
        let nat =
            ice.natMapping.isEmpty ? nil : ICENATHint(mapping: ice.natMapping, publicIP: IPAddress(ice.natPublicIP))
        do {
            try await session.setRemote(
                ICEDescription(
                    credentials: credentials,
                    candidates: candidates,
                    endOfCandidates: ice.endOfCandidates,
                    nat: nat
                )
            )
        } catch {
            paths.iceFailed(attempt: attempt, reason: "\(error)", now: now)
            await runPathActions()
        }
    }

    /// Candidates the peer trickled (RFC 8838), filtered as those of its offer or answer are.
    func addRemoteCandidates(attempt: UInt64, _ lines: [String], endOfCandidates: Bool, nat: PathNAT) async {
        guard let session = links[attempt]?.session, let setup = direct else { return }
        let candidates = lines.prefix(PathICE.maximumCandidates).compactMap(Candidate.init(sdp:)).filter {
            AgentNode.usableRemote($0.address.ip, allowLoopback: setup.allowLoopbackCandidates)
        }
        do {
            for candidate in candidates { try await session.addRemoteCandidate(candidate) }
            // After the candidates: port prediction plans with the hint and aims at a server-reflexive one.
            if !nat.isUnknown {
                try await session.setRemoteNAT(ICENATHint(mapping: nat.mapping, publicIP: IPAddress(nat.publicIP)))
            }
            if endOfCandidates { try await session.setRemoteEndOfCandidates() }
            logger.debug(
                "trickled candidates added",
                metadata: ["attempt": "\(attempt)", "count": "\(candidates.count)", "end": "\(endOfCandidates)"]
            )
        } catch {
            // The session closed meanwhile: the attempt is ending anyway.
            logger.debug("trickled candidates not added", metadata: ["attempt": "\(attempt)", "error": "\(error)"])
        }
    }

    /// Candidates we never check: link-local (needs a scope; useless across hosts), unspecified, multicast, and
    /// loopback unless this node itself binds loopback. Checks to the rest stay paced by ICE (50 ms, at most 100
    /// pairs), so a peer's list cannot turn us into an amplifier.
    static func usableRemote(_ ip: IPAddress, allowLoopback: Bool) -> Bool {
        if ip.isLinkLocal || ip.bytes.allSatisfy({ $0 == 0 }) { return false }
        if ip.isIPv4, ip.bytes[0] >= 224 { return false }
        if !ip.isIPv4, ip.bytes[0] == 0xFF { return false }
        return allowLoopback || !ip.isLoopback
    }

    // MARK: Channel

    func openChannel(_ opening: PathChannelOpening) async {
        guard let session = links[opening.attempt]?.session else { return }
        let attempt = opening.attempt
        do {
            let secret = try ChannelSecret(offerShare: opening.offerShare, answerShare: opening.answerShare)
            let channel = try secret.openChannel(
                initiator: opening.isInitiator ? identity.publicKey : opening.peer.key,
                responder: opening.isInitiator ? opening.peer.key : identity.publicKey,
                context: opening.context,
                cipher: ChannelCipher(rawValue: opening.cipher) ?? .xchacha20Poly1305,
                isInitiator: opening.isInitiator,
                localChannelID: opening.localChannelID,
                remoteChannelID: opening.remoteChannelID,
                now: now
            )
            let figures = self.figures
            let transport = DirectTransport(session: session, channel: channel) { reason in
                figures.directDropped[reason]?.increment()
            }
            await transport.start()
            links[attempt]?.transport = transport
            links[attempt]?.tasks.append(Task { await self.readDirect(transport, attempt: attempt) })
            try await transport.send([DirectFrame.hello])
        } catch {
            paths.channelClosed(attempt: attempt, reason: "could not open the channel: \(error)", now: now)
            await runPathActions()
        }
    }

    func readDirect(_ transport: DirectTransport, attempt: UInt64) async {
        while !Task.isCancelled {
            guard let batch = try? await transport.receiveBatch(maximum: DirectFrame.batch) else { break }
            await receiveDirect(batch, attempt: attempt)
        }
        // Cancelled: `discardLink` closed it on purpose, and the manager already knows.
        guard !Task.isCancelled else { return }
        let reason = await transport.closeReason.map { "\($0)" } ?? "the channel stopped"
        paths.channelClosed(attempt: attempt, reason: reason, now: now)
        await runPathActions()
    }

    /// Messages from a direct channel: a hello validates the path; envelopes must be session frames from the peer
    /// the channel was opened with (anything else drops the channel and the conversation returns to the relay).
    func receiveDirect(_ batch: [[UInt8]], attempt: UInt64) async {
        guard let peer = links[attempt]?.peer else { return }
        var sessions: [InboundSession] = []
        var garbage: String?
        for bytes in batch {
            if bytes == [DirectFrame.hello] {
                paths.channelValidated(attempt: attempt, now: now)
                continue
            }
            guard bytes.first == DirectFrame.envelope,
                case .session(let frame)? = try? MeshEnvelope.decode(Array(bytes.dropFirst()))
            else {
                garbage = "not a session envelope"
                break
            }
            guard frame.sender == peer.key else {
                garbage = "an envelope from another sender than the channel's peer"
                break
            }
            sessions.append(
                InboundSession(
                    frame: frame,
                    id: frame.messageID,
                    envelopeID: frame.messageID.envelopeID,
                    relay: nil,
                    path: "direct"
                )
            )
        }
        if !sessions.isEmpty {
            figures.messagesReceivedDirect.increment(by: sessions.count)
            paths.noteTraffic(peer.did, now: now)
            await receiveSessions(sessions)
        }
        if let garbage {
            figures.undecryptable.increment()
            logger.notice("dropped a direct channel", metadata: ["peer": "\(peer.did)", "reason": "\(garbage)"])
            paths.channelGarbage(attempt: attempt, reason: garbage, now: now)
        }
        await runPathActions()
    }

    func discardLink(_ attempt: UInt64, reason: String) async {
        guard let link = links.removeValue(forKey: attempt) else { return }
        for task in link.tasks { task.cancel() }
        if let transport = link.transport { await transport.close(code: 0, reason: String(reason.prefix(64))) }
        if let session = link.session { await session.close() }
        if let lease = link.portMap {
            // Bounded: a gateway that stopped answering must not hold up a fallback or a shutdown.
            _ = await PortMapAvailability.race(Task { () async throws in await lease.release() }, within: .seconds(1))
        }
        if directPeers[link.peer.did] == attempt { directPeers[link.peer.did] = nil }
    }

    /// At shutdown: every channel and ICE session closes (the peers fall back to their relays).
    func closeAllPaths() async {
        pathsClosed = true
        pathTimer?.cancel()
        for attempt in Array(links.keys) { await discardLink(attempt, reason: "shutdown") }
    }

    // MARK: Outbox

    /// Sends the entries whose conversation runs direct over its channel, in order per peer; returns those that
    /// could not go (the channel closed meanwhile), for the relay. A message sent here waits for its receipt like
    /// one a relay took, and is resent through the relay if the channel closes first.
    func sendDirect(_ entries: [OutboxEntry]) async -> [OutboxEntry] {
        var byPeer: [String: (DirectTransport, [OutboxEntry])] = [:]
        var rest: [OutboxEntry] = []
        for entry in entries {
            if entry.kind != .knock, let attempt = directPeers[entry.peer], let transport = links[attempt]?.transport {
                byPeer[entry.peer, default: (transport, [])].1.append(entry)
            } else {
                rest.append(entry)
            }
        }
        guard !byPeer.isEmpty else { return rest }
        let results = await withTaskGroup(of: ([OutboxEntry], [OutboxEntry]).self) { group in
            for (transport, list) in byPeer.values {
                group.addTask {
                    var sent: [OutboxEntry] = []
                    for (index, entry) in list.enumerated() {
                        do {
                            try await transport.send([DirectFrame.envelope] + entry.payload)
                            sent.append(entry)
                        } catch {
                            return (sent, Array(list[index...]))
                        }
                    }
                    return (sent, [])
                }
            }
            var all: [([OutboxEntry], [OutboxEntry])] = []
            for await result in group { all.append(result) }
            return all
        }
        let sent = results.flatMap(\.0)
        rest += results.flatMap(\.1)
        let now = self.now
        for did in Set(sent.map(\.peer)) { paths.noteTraffic(did, now: now) }
        figures.messagesSentDirect.increment(by: sent.filter { $0.kind == .message }.count)
        await persist("recording direct sends") { db in
            for entry in sent {
                try OutboxStore.sentDirect(
                    id: entry.id,
                    kind: entry.kind,
                    next: now + AgentNode.retryDelay(attempts: 0, relayed: true),
                    db
                )
            }
        }
        return rest
    }
}

extension PathICE {
    init(_ description: ICEDescription) {
        self.init(
            ufrag: description.credentials.ufrag,
            pwd: description.credentials.pwd,
            candidates: Array(description.candidates.prefix(PathICE.maximumCandidates)),
            endOfCandidates: description.endOfCandidates,
            natMapping: description.nat?.mapping ?? "",
            natPublicIP: description.nat?.publicIP ?? ""
        )
    }
}
