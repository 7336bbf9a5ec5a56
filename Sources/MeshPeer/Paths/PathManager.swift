import MeshCore

/// Chooses, per conversation, whether messages travel through the relay or over a direct UDP channel (sans-IO).
///
/// Every conversation starts on the relay. When the node has something to send to a contact (`wantDirect`), the
/// manager starts an attempt: the driver gathers ICE candidates, the offer travels inside the encrypted session,
/// the peer answers, ICE checks run, and the channel built on the selected pair is used once the peer has answered
/// on it (`channelValidated`). A channel that breaks, loses consent, times out or carries garbage sends the
/// conversation back to the relay (`useRelay`), and the next attempt waits out a doubling backoff. Idle channels
/// close. The manager never touches a socket or a clock: inputs take `now`, outputs are `PathAction`s, and
/// `pollTimeout`/`handleTimeout` are its one timer (docs/paths.md).
public struct PathManager<Random: RandomSource>: Sendable {
    public let configuration: PathConfiguration
    public internal(set) var statistics = PathStatistics()
    var random: Random
    /// The current attempt per peer DID (at most one).
    var attempts: [String: PathAttempt] = [:]
    /// When a peer may be tried again, and how many tries in a row failed.
    var backoff: [String: (until: Timestamp, failures: Int)] = [:]
    var offerLimiter: KeyedRateLimiter<String>
    var actions: [PathAction] = []
    var actionHead = 0

    public init(configuration: PathConfiguration, random: Random) {
        self.configuration = configuration
        self.random = random
        offerLimiter = KeyedRateLimiter(
            limits: .init(perKey: configuration.offerRate, maximumKeys: configuration.trackedPeers)
        )
    }

    // MARK: Queries

    /// The attempt whose validated channel carries messages to `did`, if any.
    public func directAttempt(for did: String) -> UInt64? {
        guard let attempt = attempts[did], attempt.phase == .direct else { return nil }
        return attempt.id
    }

    /// "direct", or "relay" while no validated channel exists (an attempt may be running).
    public func path(for did: String) -> String { directAttempt(for: did) == nil ? "relay" : "direct" }

    /// Peers with a running attempt or a channel, and the phase each is in.
    public var phases: [String: String] { attempts.mapValues(\.phase.rawValue) }

    public var directCount: Int { attempts.values.count { $0.phase == .direct } }

    public mutating func pollAction() -> PathAction? {
        guard actionHead < actions.count else {
            actions.removeAll(keepingCapacity: true)
            actionHead = 0
            return nil
        }
        defer { actionHead += 1 }
        return actions[actionHead]
    }

    // MARK: Local inputs

    /// The node has something for `peer`: start an attempt unless one runs, the peer is backing off, direct
    /// paths are off, or too many attempts or channels are open.
    public mutating func wantDirect(_ peer: PathPeer, now: Timestamp) {
        guard configuration.mode == .auto, attempts[peer.did] == nil else {
            if let attempt = attempts[peer.did], attempt.phase == .direct { attempts[peer.did]?.lastTraffic = now }
            return
        }
        if let waiting = backoff[peer.did], now < waiting.until { return }
        guard hasRoom else { return }
        var attempt = makeAttempt(peer: peer, isOfferer: true, id: random.next(), tieBreak: random.next(), now: now)
        attempt.offeredAt = nil
        attempts[peer.did] = attempt
        statistics.attemptsStarted += 1
        emit(.gather(attempt: attempt.id, peer: peer, controlling: true))
    }

    /// A message went over the channel to or from `did`: it is not idle.
    public mutating func noteTraffic(_ did: String, now: Timestamp) {
        guard attempts[did]?.phase == .direct else { return }
        attempts[did]?.lastTraffic = now
    }

    /// The driver gathered the attempt's candidates (or the first of them, when it trickles).
    public mutating func gathered(attempt id: UInt64, ice: PathICE, now: Timestamp) {
        guard let did = owner(of: id), var attempt = attempts[did], attempt.phase == .gathering else { return }
        attempt.localICE = ice
        let sentAt = now.wholeMilliseconds
        if attempt.isOfferer {
            attempt.phase = .awaitingAnswer
            attempt.offeredAt = now
            attempts[did] = attempt
            emit(
                .signal(
                    to: attempt.peer,
                    .offer(
                        .init(
                            attempt: id,
                            sentAt: sentAt,
                            tieBreak: attempt.tieBreak,
                            channelID: attempt.localChannelID,
                            ciphers: configuration.ciphers,
                            share: attempt.localShare,
                            ice: ice
                        )
                    )
                )
            )
        } else {
            guard let remote = attempt.remoteICE, let cipher = attempt.cipher else { return }
            attempt.phase = .checking
            attempts[did] = attempt
            emit(
                .signal(
                    to: attempt.peer,
                    .answer(
                        .init(
                            attempt: id,
                            sentAt: sentAt,
                            channelID: attempt.localChannelID,
                            cipher: cipher,
                            share: attempt.localShare,
                            ice: ice
                        )
                    )
                )
            )
            emit(.setRemote(attempt: id, remote))
            emitEarlyCandidates(did)
        }
    }

    /// Candidates the driver found after `gathered` (trickle): they follow the offer or answer, with our NAT hint
    /// once gathering has learnt it (on the last chunk).
    public mutating func gatheredMore(
        attempt id: UInt64,
        candidates: [String],
        endOfCandidates: Bool,
        nat: PathNAT = .unknown,
        now: Timestamp
    ) {
        guard let did = owner(of: id), let attempt = attempts[did], attempt.phase != .gathering else { return }
        for chunk in stride(from: 0, to: max(candidates.count, 1), by: PathICE.maximumCandidates) {
            let slice = Array(candidates.dropFirst(chunk).prefix(PathICE.maximumCandidates))
            let last = chunk + PathICE.maximumCandidates >= candidates.count
            emit(
                .signal(
                    to: attempt.peer,
                    .candidates(
                        attempt: id,
                        sentAt: now.wholeMilliseconds,
                        candidates: slice,
                        endOfCandidates: endOfCandidates && last,
                        nat: last ? nat : .unknown
                    )
                )
            )
        }
    }

    /// The driver could not start or gather (no address to bind, sockets exhausted).
    public mutating func gatherFailed(attempt id: UInt64, reason: String, now: Timestamp) {
        fail(id, reason: "gathering failed: \(reason)", tellPeer: true, now: now)
    }

    /// ICE nominated a pair: build the channel.
    public mutating func iceSelected(attempt id: UInt64, now: Timestamp) {
        guard let did = owner(of: id), var attempt = attempts[did], attempt.phase == .checking,
            let opening = attempt.opening
        else { return }
        attempt.phase = .connected
        attempts[did] = attempt
        emit(.openChannel(opening))
    }

    public mutating func iceFailed(attempt id: UInt64, reason: String, now: Timestamp) {
        fail(id, reason: "ICE failed: \(reason)", tellPeer: true, now: now)
    }

    /// The peer's first authenticated message arrived on the channel: messages may move to it.
    public mutating func channelValidated(attempt id: UInt64, now: Timestamp) {
        guard let did = owner(of: id), var attempt = attempts[did], attempt.phase == .connected else { return }
        attempt.phase = .direct
        attempt.lastTraffic = now
        attempts[did] = attempt
        backoff[did] = nil
        statistics.channelsValidated += 1
        if let offeredAt = attempt.offeredAt { statistics.recordTimeToDirect(max(now - offeredAt, .zero)) }
        emit(.useDirect(peer: attempt.peer, attempt: id))
    }

    /// The channel closed (consent lost, peer closed, idle timeout of the channel itself, a send error).
    public mutating func channelClosed(attempt id: UInt64, reason: String, now: Timestamp) {
        fail(id, reason: reason, tellPeer: true, now: now)
    }

    /// The peer sent something on the channel that is not a valid envelope from it: drop the channel.
    public mutating func channelGarbage(attempt id: UInt64, reason: String, now: Timestamp) {
        fail(id, reason: "garbage on the direct channel: \(reason)", tellPeer: true, now: now)
    }

    /// The owner drops the conversation's attempt or channel: back to the relay at once, the peer is told, and no
    /// backoff (the next message may upgrade again). Returns whether there was anything to drop.
    @discardableResult
    public mutating func reset(_ did: String, now: Timestamp) -> Bool {
        guard let attempt = attempts.removeValue(forKey: did) else { return false }
        emit(.discard(attempt: attempt.id, reason: "reset by the owner"))
        if attempt.phase == .direct { emit(.useRelay(peer: attempt.peer, reason: "reset by the owner")) }
        emit(.signal(to: attempt.peer, .close(attempt: attempt.id, sentAt: now.wholeMilliseconds, reason: "idle")))
        return true
    }

    // MARK: Timer

    public func pollTimeout() -> Timestamp? {
        attempts.values.map { attempt in
            attempt.phase == .direct ? attempt.lastTraffic + configuration.idleClose : attempt.deadline
        }.min()
    }

    public mutating func handleTimeout(now: Timestamp) {
        for (did, attempt) in attempts.sorted(by: { $0.key < $1.key }) {
            if attempt.phase == .direct {
                guard now >= attempt.lastTraffic + configuration.idleClose else { continue }
                // Idle, not broken: no backoff, the next message may upgrade again at once.
                attempts[did] = nil
                emit(.discard(attempt: attempt.id, reason: "idle"))
                emit(.useRelay(peer: attempt.peer, reason: "idle"))
                emit(
                    .signal(
                        to: attempt.peer,
                        .close(attempt: attempt.id, sentAt: now.wholeMilliseconds, reason: "idle")
                    )
                )
            } else if now >= attempt.deadline {
                fail(
                    attempt.id,
                    reason: "no direct path within \(configuration.attemptTimeout)",
                    tellPeer: true,
                    now: now
                )
            }
        }
    }

    // MARK: Helpers

    var hasRoom: Bool {
        let running = attempts.values.count { $0.phase != .direct }
        return running < configuration.maximumAttempts && directCount < configuration.maximumChannels
    }

    func owner(of id: UInt64) -> String? {
        attempts.first { $0.value.id == id }?.key
    }

    mutating func makeAttempt(
        peer: PathPeer,
        isOfferer: Bool,
        id: UInt64,
        tieBreak: UInt64,
        now: Timestamp
    )
        -> PathAttempt
    {
        PathAttempt(
            id: id,
            peer: peer,
            isOfferer: isOfferer,
            tieBreak: tieBreak,
            localChannelID: random.next(),
            localShare: random.bytes(count: PathSignal.shareByteCount),
            deadline: now + configuration.attemptTimeout,
            lastTraffic: now
        )
    }

    /// Ends an attempt that did not work out (or a channel that broke): back to the relay, back off, and tell the
    /// peer so it does not wait for its own timeout.
    mutating func fail(_ id: UInt64, reason: String, tellPeer: Bool, now: Timestamp) {
        guard let did = owner(of: id), let attempt = attempts.removeValue(forKey: did) else { return }
        let failures = (backoff[did]?.failures ?? 0) + 1
        let delay = min(configuration.backoffInitial * (1 << min(failures - 1, 20)), configuration.backoffMaximum)
        backoff[did] = (now + delay, failures)
        // Bounded like the offer limiter: past `trackedPeers`, backoffs that have run out are forgotten.
        if backoff.count > configuration.trackedPeers { backoff = backoff.filter { $0.value.until > now } }
        statistics.failures += 1
        emit(.discard(attempt: id, reason: reason))
        if attempt.phase == .direct {
            statistics.fallbacks += 1
            emit(.useRelay(peer: attempt.peer, reason: reason))
        }
        if tellPeer {
            emit(.signal(to: attempt.peer, .close(attempt: id, sentAt: now.wholeMilliseconds, reason: reason)))
        }
    }

    mutating func emit(_ action: PathAction) { actions.append(action) }
}
