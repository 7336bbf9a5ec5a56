import MeshCore
import Testing

@testable import MeshPeer

/// Two path managers wired through a simulated session: the whole upgrade, simultaneous offers, fallback, backoff,
/// idle close and the limits on what a contact can make us do. Every step compares the exact actions.
@Suite struct PathManagerTests {
    let start = Timestamp(secondsSinceEpoch: 1_800_000_000)
    let ciphers = ["aes-256-gcm", "xchacha20-poly1305"]

    struct Side {
        var manager: PathManager<SeededRandom>
        let peer: PathPeer
    }

    func pair(bMode: PathMode = .auto) -> (Side, Side) {
        var random = SeededRandom(seed: 7)
        let keyA = Ed25519.PrivateKey(using: &random).publicKey
        let keyB = Ed25519.PrivateKey(using: &random).publicKey
        var configuration = PathConfiguration(ciphers: ciphers)
        let a = Side(
            manager: PathManager(configuration: configuration, random: SeededRandom(seed: 1)),
            peer: PathPeer(did: "did:key:a", key: keyA)
        )
        configuration.mode = bMode
        let b = Side(
            manager: PathManager(configuration: configuration, random: SeededRandom(seed: 2)),
            peer: PathPeer(did: "did:key:b", key: keyB)
        )
        return (a, b)
    }

    func ice(_ name: String) -> PathICE {
        PathICE(
            ufrag: name + "ufrag",
            pwd: String(repeating: name, count: 24),
            candidates: ["candidate:1 1 udp 2130706431 127.0.0.1 4000\(name.count) typ host"],
            endOfCandidates: true
        )
    }

    func drain(_ side: inout Side) -> [PathAction] {
        var out: [PathAction] = []
        while let action = side.manager.pollAction() { out.append(action) }
        return out
    }

    func signals(_ actions: [PathAction]) -> [PathSignal] {
        actions.compactMap { if case .signal(_, let signal) = $0 { signal } else { nil } }
    }

    /// Runs A's upgrade to B to a validated channel on both sides; returns the two openings.
    func upgrade(_ a: inout Side, _ b: inout Side, at now: Timestamp) throws -> (PathChannelOpening, PathChannelOpening)
    {
        a.manager.wantDirect(b.peer, now: now)
        let gather = drain(&a)
        guard case .gather(let attempt, let peer, controlling: true)? = gather.first, gather.count == 1 else {
            Issue.record("expected one gather, got \(gather)")
            throw CancellationError()
        }
        #expect(peer == b.peer)
        a.manager.gathered(attempt: attempt, ice: ice("a"), now: now)
        let offer = try #require(signals(drain(&a)).first)
        // The offer crosses the session (wire form and back).
        let carried = try SessionPayload.decode(SessionPayload.path(offer).encoded())
        guard case .path(let received) = carried else { throw CancellationError() }
        #expect(b.manager.received(received, from: a.peer, now: now + .milliseconds(50)) == .taken)
        #expect(drain(&b) == [.gather(attempt: attempt, peer: a.peer, controlling: false)])
        b.manager.gathered(attempt: attempt, ice: ice("b"), now: now + .milliseconds(60))
        let answerActions = drain(&b)
        #expect(answerActions.count == 2)
        #expect(answerActions.last == .setRemote(attempt: attempt, ice("a")))
        let answer = try #require(signals(answerActions).first)
        #expect(a.manager.received(answer, from: b.peer, now: now + .milliseconds(100)) == .taken)
        #expect(drain(&a) == [.setRemote(attempt: attempt, ice("b"))])
        a.manager.iceSelected(attempt: attempt, now: now + .milliseconds(120))
        b.manager.iceSelected(attempt: attempt, now: now + .milliseconds(120))
        guard case .openChannel(let openA)? = drain(&a).first, case .openChannel(let openB)? = drain(&b).first else {
            Issue.record("expected both sides to open a channel")
            throw CancellationError()
        }
        a.manager.channelValidated(attempt: attempt, now: now + .milliseconds(130))
        b.manager.channelValidated(attempt: attempt, now: now + .milliseconds(130))
        #expect(drain(&a) == [.useDirect(peer: b.peer, attempt: attempt)])
        #expect(drain(&b) == [.useDirect(peer: a.peer, attempt: attempt)])
        return (openA, openB)
    }

    @Test func anUpgradeGivesBothSidesTheSameChannelFromFreshShares() throws {
        var (a, b) = pair()
        let (openA, openB) = try upgrade(&a, &b, at: start)
        #expect(openA.isInitiator && !openB.isInitiator)
        #expect(openA.offerShare == openB.offerShare && openA.answerShare == openB.answerShare)
        #expect(openA.offerShare != openA.answerShare && openA.offerShare.count == 32)
        #expect(openA.localChannelID == openB.remoteChannelID && openA.remoteChannelID == openB.localChannelID)
        #expect(openA.context == openB.context)
        #expect(openA.cipher == "aes-256-gcm")
        #expect(a.manager.path(for: b.peer.did) == "direct" && b.manager.path(for: a.peer.did) == "direct")
        #expect(a.manager.statistics.timeToDirect == [.milliseconds(130)])
        #expect(b.manager.statistics.timeToDirect == [.milliseconds(130)], "measured from the offer's sentAt")
        // A second upgrade after an idle close draws new shares and IDs: never the same secret twice.
        a.manager.handleTimeout(now: start + .seconds(121))
        b.manager.handleTimeout(now: start + .seconds(121))
        _ = drain(&a)
        _ = drain(&b)
        let (again, _) = try upgrade(&a, &b, at: start + .seconds(122))
        #expect(again.offerShare != openA.offerShare && again.answerShare != openA.answerShare)
        #expect(again.attempt != openA.attempt && again.context != openA.context)
    }

    @Test func simultaneousOffersLeaveExactlyOneAttempt() throws {
        var (a, b) = pair()
        a.manager.wantDirect(b.peer, now: start)
        b.manager.wantDirect(a.peer, now: start)
        guard case .gather(let attemptA, _, _)? = drain(&a).first, case .gather(let attemptB, _, _)? = drain(&b).first
        else { throw CancellationError() }
        a.manager.gathered(attempt: attemptA, ice: ice("a"), now: start)
        b.manager.gathered(attempt: attemptB, ice: ice("b"), now: start)
        let offerA = try #require(signals(drain(&a)).first)
        let offerB = try #require(signals(drain(&b)).first)
        let verdictB = b.manager.received(offerA, from: a.peer, now: start + .milliseconds(10))
        let verdictA = a.manager.received(offerB, from: b.peer, now: start + .milliseconds(10))
        // Exactly one side yields, and both then run the winner's attempt.
        #expect([verdictA, verdictB].filter { $0 == .taken }.count == 1)
        let winner = verdictA == .taken ? attemptB : attemptA
        let actionsA = drain(&a)
        let actionsB = drain(&b)
        let loser = verdictA == .taken ? actionsA : actionsB
        #expect(
            loser.contains(
                .discard(attempt: winner == attemptA ? attemptB : attemptA, reason: "superseded by the peer's offer")
            )
        )
        #expect(loser.contains { if case .gather(winner, _, false) = $0 { true } else { false } })
        #expect(a.manager.phases.count == 1 && b.manager.phases.count == 1)
    }

    @Test func aBrokenChannelFallsBackToTheRelayAndBacksOff() throws {
        var (a, b) = pair()
        let (opening, _) = try upgrade(&a, &b, at: start)
        a.manager.channelClosed(attempt: opening.attempt, reason: "consent lost", now: start + .seconds(5))
        let actions = drain(&a)
        #expect(actions.contains(.useRelay(peer: b.peer, reason: "consent lost")))
        #expect(actions.contains(.discard(attempt: opening.attempt, reason: "consent lost")))
        let close = try #require(signals(actions).first)
        #expect(b.manager.received(close, from: a.peer, now: start + .seconds(5)) == .taken)
        #expect(drain(&b).contains(.useRelay(peer: a.peer, reason: "peer closed: consent lost")))
        #expect(a.manager.path(for: b.peer.did) == "relay" && b.manager.path(for: a.peer.did) == "relay")
        // Backoff: 30 s, then 60 s after a second failure.
        a.manager.wantDirect(b.peer, now: start + .seconds(20))
        #expect(drain(&a).isEmpty, "still backing off")
        a.manager.wantDirect(b.peer, now: start + .seconds(36))
        guard case .gather(let second, _, _)? = drain(&a).first else { throw CancellationError() }
        a.manager.gatherFailed(attempt: second, reason: "no address", now: start + .seconds(36))
        _ = drain(&a)
        a.manager.wantDirect(b.peer, now: start + .seconds(36 + 59))
        #expect(drain(&a).isEmpty)
        a.manager.wantDirect(b.peer, now: start + .seconds(36 + 61))
        #expect(drain(&a).count == 1)
    }

    @Test func anAttemptThatNeverConnectsTimesOut() throws {
        var (a, b) = pair()
        a.manager.wantDirect(b.peer, now: start)
        guard case .gather(let attempt, _, _)? = drain(&a).first else { throw CancellationError() }
        a.manager.gathered(attempt: attempt, ice: ice("a"), now: start)
        _ = drain(&a)
        #expect(a.manager.pollTimeout() == start + .seconds(20))
        a.manager.handleTimeout(now: start + .seconds(19))
        #expect(drain(&a).isEmpty)
        a.manager.handleTimeout(now: start + .seconds(20))
        let actions = drain(&a)
        #expect(actions.first == .discard(attempt: attempt, reason: "no direct path within 20.0 seconds"))
        #expect(signals(actions).count == 1, "the peer is told")
        #expect(!actions.contains { if case .useRelay = $0 { true } else { false } }, "it never left the relay")
    }

    @Test func anIdleChannelClosesWithoutBackoff() throws {
        var (a, b) = pair()
        let (opening, _) = try upgrade(&a, &b, at: start)
        a.manager.noteTraffic(b.peer.did, now: start + .seconds(60))
        a.manager.handleTimeout(now: start + .seconds(170))
        #expect(drain(&a).isEmpty, "traffic at 60 s moved the idle deadline to 180 s")
        a.manager.handleTimeout(now: start + .seconds(180))
        let actions = drain(&a)
        #expect(
            actions.prefix(2) == [
                .discard(attempt: opening.attempt, reason: "idle"), .useRelay(peer: b.peer, reason: "idle"),
            ]
        )
        a.manager.wantDirect(b.peer, now: start + .seconds(181))
        #expect(drain(&a).count == 1, "no backoff after an idle close")
    }

    @Test func staleFloodedAndRefusedOffersChangeNothing() throws {
        var (a, b) = pair()
        var offers: [PathSignal] = []
        for index in 0..<6 {
            var side = pair().0
            side.manager = PathManager(
                configuration: a.manager.configuration,
                random: SeededRandom(seed: UInt64(10 + index))
            )
            side.manager.wantDirect(b.peer, now: start)
            guard case .gather(let attempt, _, _)? = drain(&side).first else { throw CancellationError() }
            side.manager.gathered(attempt: attempt, ice: ice("a"), now: start)
            offers.append(try #require(signals(drain(&side)).first))
        }
        // Stale: sent 61 s before it arrived.
        #expect(
            b.manager.received(offers[0], from: a.peer, now: start + .seconds(61))
                == .ignored("stale: sent 61.0 seconds ago")
        )
        // A flood: three offers pass (the burst), the rest are ignored until the bucket refills.
        let verdicts = offers.map { b.manager.received($0, from: a.peer, now: start + .seconds(1)) }
        #expect(verdicts.filter { $0 == .taken }.count == 3)
        #expect(b.manager.phases.count == 1, "one attempt per peer, whatever the flood")
        // A node that takes no direct paths declines, and the offerer backs off.
        var (c, d) = pair(bMode: .relay)
        c.manager.wantDirect(d.peer, now: start)
        guard case .gather(let attempt, _, _)? = drain(&c).first else { throw CancellationError() }
        c.manager.gathered(attempt: attempt, ice: ice("c"), now: start)
        let offer = try #require(signals(drain(&c)).first)
        d.manager.received(offer, from: c.peer, now: start)
        let decline = try #require(signals(drain(&d)).first)
        guard case .decline(attempt, _, "relay only") = decline else { throw CancellationError() }
        c.manager.received(decline, from: d.peer, now: start)
        #expect(drain(&c) == [.discard(attempt: attempt, reason: "declined: relay only")])
        c.manager.wantDirect(d.peer, now: start + .seconds(1))
        #expect(drain(&c).isEmpty)
        _ = a
    }

    @Test func signalsRoundTripAndRefuseBadInput() throws {
        let offer = PathSignal.offer(
            .init(
                attempt: 9,
                sentAt: start,
                tieBreak: 3,
                channelID: 4,
                ciphers: ciphers,
                share: Array(repeating: 7, count: 32),
                ice: ice("x")
            )
        )
        let signals: [PathSignal] = [
            offer,
            .answer(
                .init(
                    attempt: 9,
                    sentAt: start,
                    channelID: 5,
                    cipher: "aes-256-gcm",
                    share: Array(repeating: 1, count: 32),
                    ice: ice("y")
                )
            ),
            .candidates(
                attempt: 9,
                sentAt: start,
                candidates: ["candidate:2 1 udp 1 203.0.113.9 5000 typ srflx"],
                endOfCandidates: true
            ),
            .decline(attempt: 9, sentAt: start, reason: "busy"),
            .close(attempt: 9, sentAt: start, reason: String(repeating: "é", count: 100)),
        ]
        for signal in signals {
            let bytes = SessionPayload.path(signal).encoded()
            let decoded = try SessionPayload.decode(bytes)
            if case .close = signal {
                guard case .path(.close(_, _, let reason)) = decoded else { throw CancellationError() }
                #expect(reason.utf8.count <= PathSignal.maximumReasonBytes, "long reasons are clipped on a character")
            } else {
                #expect(decoded == .path(signal))
            }
            // Every truncation is an error, never a trap.
            for cut in 0..<bytes.count {
                #expect(throws: WireError.self) { try SessionPayload.decode(Array(bytes.prefix(cut))) }
            }
        }
        var unknown = SessionPayload.path(offer).encoded()
        unknown[2] = 9
        #expect(throws: WireError.self) { try SessionPayload.decode(unknown) }
    }
}
