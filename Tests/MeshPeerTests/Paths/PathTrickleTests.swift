import MeshCore
import Testing

@testable import MeshPeer

/// Trickle in the path manager (RFC 8838): the offer and answer carry host candidates only, and what gathering learns
/// later (server-reflexive candidates, the NAT hint port prediction needs, end-of-candidates) follows in a
/// `candidates` signal; a trickle that arrives before the receiver has a session is kept and handed over with it.
@Suite struct PathTrickleTests {
    let start = Timestamp(secondsSinceEpoch: 1_800_000_000)
    let nat = PathNAT(mapping: "endpoint-dependent", publicIP: "203.0.113.40")
    let srflx = "candidate:2 1 udp 1694498815 203.0.113.40 51000 typ srflx raddr 192.0.2.34 rport 40000"

    func side(_ seed: UInt64, _ did: String) -> (PathManager<SeededRandom>, PathPeer) {
        var random = SeededRandom(seed: seed)
        let key = Ed25519.PrivateKey(using: &random).publicKey
        let manager = PathManager(
            configuration: PathConfiguration(ciphers: ["aes-256-gcm"]),
            random: SeededRandom(seed: seed + 10)
        )
        return (manager, PathPeer(did: did, key: key))
    }

    func hosts(_ name: String) -> PathICE {
        PathICE(
            ufrag: name + "ufrag",
            pwd: String(repeating: name, count: 24),
            candidates: ["candidate:1 1 udp 2130706431 192.0.2.\(name.count) 40000 typ host"],
            endOfCandidates: false
        )
    }

    func drain(_ manager: inout PathManager<SeededRandom>) -> [PathAction] {
        var out: [PathAction] = []
        while let action = manager.pollAction() { out.append(action) }
        return out
    }

    /// Through the session's wire form, as the relay or the channel would carry it.
    func carried(_ action: PathAction?) throws -> PathSignal {
        guard case .signal(_, let signal)? = action,
            case .path(let decoded) = try SessionPayload.decode(SessionPayload.path(signal).encoded())
        else { throw CancellationError() }
        return decoded
    }

    /// Two sides (seeds `seed` and `seed + 1`); a wants a direct path to b and has gathered its hosts: the offer.
    func offered(
        seed: UInt64
    ) throws -> (
        a: PathManager<SeededRandom>, b: PathManager<SeededRandom>, peerA: PathPeer, peerB: PathPeer, attempt: UInt64,
        offer: PathSignal
    ) {
        var (a, peerA) = side(seed, "did:key:a")
        let (b, peerB) = side(seed + 1, "did:key:b")
        a.wantDirect(peerB, now: start)
        guard case .gather(let attempt, _, _)? = drain(&a).first else { throw CancellationError() }
        a.gathered(attempt: attempt, ice: hosts("a"), now: start)
        let offer = try carried(drain(&a).first)
        return (a, b, peerA, peerB, attempt, offer)
    }

    @Test func theCandidatesSignalCarriesTheNATHintOnlyWhenKnown() throws {
        let with = PathSignal.candidates(
            attempt: 3,
            sentAt: start,
            candidates: [srflx],
            endOfCandidates: true,
            nat: nat
        )
        let bytes = SessionPayload.path(with).encoded()
        #expect(try SessionPayload.decode(bytes) == .path(with))
        let without = PathSignal.candidates(attempt: 3, sentAt: start, candidates: [srflx], endOfCandidates: true)
        let shorter = SessionPayload.path(without).encoded()
        #expect(try SessionPayload.decode(shorter) == .path(without))
        // Without a hint nothing is appended: the bytes are what a node before trickle sent.
        #expect(shorter.count + 2 + nat.mapping.utf8.count + nat.publicIP.utf8.count == bytes.count)
        // A tail that names no mapping, or stops short, is refused.
        #expect(throws: (any Error).self) { try SessionPayload.decode(shorter + [0, 0]) }
        #expect(throws: (any Error).self) { try SessionPayload.decode(Array(bytes.dropLast(3))) }
    }

    /// The answerer's trickle (with the hint and the end mark) reaches the offerer before its answer does, as it may
    /// when the two travel different relays: the offerer keeps it and hands it over right after the answer.
    @Test func aTrickleBeforeTheAnswerIsHandedOverWithIt() throws {
        let o = try offered(seed: 1)
        var (a, b) = (o.a, o.b)
        let (peerA, peerB, attempt, offer) = (o.peerA, o.peerB, o.attempt, o.offer)
        #expect(b.received(offer, from: peerA, now: start + .milliseconds(20)) == .taken)
        #expect(drain(&b) == [.gather(attempt: attempt, peer: peerA, controlling: false)])
        b.gathered(attempt: attempt, ice: hosts("bb"), now: start + .milliseconds(30))
        let answerActions = drain(&b)
        let answer = try carried(answerActions.first)
        #expect(answerActions.last == .setRemote(attempt: attempt, hosts("a")))
        b.gatheredMore(
            attempt: attempt,
            candidates: [srflx],
            endOfCandidates: true,
            nat: nat,
            now: start + .milliseconds(40)
        )
        let trickle = try carried(drain(&b).first)
        // Out of order: the trickle first. Nothing to hand over yet.
        #expect(a.received(trickle, from: peerB, now: start + .milliseconds(50)) == .taken)
        #expect(drain(&a).isEmpty)
        #expect(a.received(answer, from: peerB, now: start + .milliseconds(60)) == .taken)
        #expect(
            drain(&a) == [
                .setRemote(attempt: attempt, hosts("bb")),
                .addRemoteCandidates(attempt: attempt, candidates: [srflx], endOfCandidates: true, nat: nat),
            ]
        )
    }

    /// The offerer's trickle reaches the answerer while it still gathers (no session yet): it is handed over as soon
    /// as the answerer's own gathering reports. (Before, such candidates were kept and never handed over.)
    @Test func aTrickleWhileTheAnswererGathersIsHandedOverWhenItHasASession() throws {
        let o = try offered(seed: 3)
        var (a, b) = (o.a, o.b)
        let (peerA, attempt, offer) = (o.peerA, o.attempt, o.offer)
        a.gatheredMore(
            attempt: attempt,
            candidates: [srflx],
            endOfCandidates: true,
            nat: nat,
            now: start + .milliseconds(5)
        )
        let trickle = try carried(drain(&a).first)
        guard case .candidates(_, _, [srflx], true, nat) = trickle else {
            Issue.record("the last chunk carries the end mark and the hint: \(trickle)")
            return
        }
        #expect(b.received(offer, from: peerA, now: start + .milliseconds(20)) == .taken)
        #expect(drain(&b) == [.gather(attempt: attempt, peer: peerA, controlling: false)])
        #expect(b.received(trickle, from: peerA, now: start + .milliseconds(25)) == .taken)
        #expect(drain(&b).isEmpty, "no session to give them to while gathering")
        b.gathered(attempt: attempt, ice: hosts("bb"), now: start + .milliseconds(30))
        let actions = drain(&b)
        #expect(actions.count == 3)
        #expect(
            actions.dropFirst() == [
                .setRemote(attempt: attempt, hosts("a")),
                .addRemoteCandidates(attempt: attempt, candidates: [srflx], endOfCandidates: true, nat: nat),
            ]
        )
    }

    @Test func onlyTheLastChunkCarriesTheEndAndTheHint() throws {
        let o = try offered(seed: 5)
        var a = o.a
        let attempt = o.attempt
        let many = (0..<(PathICE.maximumCandidates + 3)).map {
            "candidate:\($0) 1 udp 1 203.0.113.9 \(50_000 + $0) typ srflx"
        }
        a.gatheredMore(attempt: attempt, candidates: many, endOfCandidates: true, nat: nat, now: start)
        let chunks = drain(&a).compactMap { action -> PathSignal? in
            if case .signal(_, let signal) = action { signal } else { nil }
        }
        #expect(chunks.count == 2)
        guard case .candidates(_, _, let first, false, .unknown) = chunks[0],
            case .candidates(_, _, let second, true, nat) = chunks[1]
        else {
            Issue.record("unexpected chunks: \(chunks)")
            return
        }
        #expect(first.count == PathICE.maximumCandidates && second.count == 3)
    }
}
