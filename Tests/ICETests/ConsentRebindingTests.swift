import MeshCore
import Testing

@testable import ICE

/// Consent (RFC 7675) after the peer's NAT rebinds mid-session: B follows A's new mapping once its owner validated
/// it (`moveSelectedPair`), and consent lives or dies by whether that address answers (decision 0096).
@Suite("ICE consent follows a validated NAT rebinding")
struct ConsentRebindingTests {
    static let oldMapping = TransportAddress("198.51.100.1:40000")!
    static let newMapping = TransportAddress("198.51.100.1:41234")!

    /// A behind an endpoint-independent NAT at `oldMapping`; B selected the pair to it. Then A's NAT rebinds: A's
    /// datagrams leave from `newMapping`, and nothing reaches A through the old one any more.
    static func reboundPair() throws -> SimulatedPair {
        var sim = SimulatedPair()
        sim.natForA = oldMapping
        sim.exchange(advertiseA: false)
        sim.run(for: .seconds(10))
        let (_, remote, _) = try #require(SimulatedPair.selection(sim.eventsB))
        #expect(remote == oldMapping)
        #expect(sim.b.selected == PairKey(base: sim.bHost, remote: oldMapping))
        sim.natForA = newMapping
        return sim
    }

    static func consentLosses(_ events: [ICEEvent]) -> [TransportAddress] {
        events.compactMap { if case .consentLost(_, let remote) = $0 { remote } else { nil } }
    }

    @Test("without the move, consent keeps probing the old mapping and is lost within 30 s (the bug)")
    func staleConsentIsLost() throws {
        var sim = try Self.reboundPair()
        sim.run(for: .seconds(40))
        #expect(Self.consentLosses(sim.eventsB) == [Self.oldMapping])
        #expect(sim.b.state == .disconnected)
    }

    @Test("after the move, consent probes the new mapping, which answers: still connected 40 s later")
    func consentFollowsTheMove() throws {
        var sim = try Self.reboundPair()
        let lastBefore = try #require(sim.b.lastConsent)
        let didMove = sim.b.moveSelectedPair(to: Self.newMapping, now: sim.now)
        #expect(didMove)
        // The move itself does not renew consent; it sends a consent check to the new address at once.
        #expect(sim.b.lastConsent == lastBefore)
        let polled = sim.b.pollTransmit()
        let probe = try #require(polled)
        #expect(probe.from == sim.bHost && probe.to == Self.newMapping)
        let decoded = try STUNMessage.decode(probe.bytes)
        #expect(decoded.message.messageClass == .request)
        sim.inFlight.append(.init(at: sim.now + sim.latency, from: probe.from, to: probe.to, bytes: probe.bytes))
        let moved = sim.now
        sim.run(for: .seconds(40))
        #expect(Self.consentLosses(sim.eventsB).isEmpty)
        #expect(sim.b.state == .connected)
        #expect(sim.b.selected == PairKey(base: sim.bHost, remote: Self.newMapping))
        #expect(try #require(sim.b.lastConsent) > moved + .seconds(30))
        // The pair was moved, not added: one pair to the new mapping (the peer-reflexive one A's checks created was
        // folded into it), none left to the old one.
        #expect(sim.b.pairs.filter { $0.key.remote == Self.newMapping }.count == 1)
        #expect(!sim.b.pairs.contains { $0.key.remote == Self.oldMapping })
        #expect(sim.b.pairs.first { $0.key == sim.b.selected }?.nominated == true)
    }

    @Test("after the move to an address that never answers, consent is lost 30 s after the last answer")
    func silentNewAddressLosesConsent() throws {
        var sim = try Self.reboundPair()
        let lastBefore = try #require(sim.b.lastConsent)
        let nowhere = TransportAddress("198.51.100.99:9")!
        let didMove = sim.b.moveSelectedPair(to: nowhere, now: sim.now)
        #expect(didMove)
        sim.run(for: lastBefore + .seconds(29) - sim.now)
        #expect(Self.consentLosses(sim.eventsB).isEmpty)
        sim.run(for: .seconds(2))
        #expect(Self.consentLosses(sim.eventsB) == [nowhere])
        #expect(sim.b.state == .disconnected && sim.b.selected == nil)
    }

    @Test("after the move, consent is lost when the peer goes silent altogether")
    func silentPeerLosesConsentAfterTheMove() throws {
        var sim = try Self.reboundPair()
        let didMove = sim.b.moveSelectedPair(to: Self.newMapping, now: sim.now)
        #expect(didMove)
        sim.run(for: .seconds(10))
        #expect(sim.b.state == .connected)
        sim.blackhole = true
        sim.run(for: .seconds(31))
        #expect(Self.consentLosses(sim.eventsB) == [Self.newMapping])
    }

    @Test("no move without a selected pair, to the same address, or across address families")
    func refusedMoves() throws {
        var idle = SimulatedPair()
        let idleMoved = idle.b.moveSelectedPair(to: Self.newMapping, now: idle.now)
        #expect(!idleMoved)
        var sim = try Self.reboundPair()
        let before = sim.b.selected
        let sameMoved = sim.b.moveSelectedPair(to: Self.oldMapping, now: sim.now)
        let familyMoved = sim.b.moveSelectedPair(to: TransportAddress("[2001:db8::1]:4000")!, now: sim.now)
        #expect(!sameMoved && !familyMoved)
        #expect(sim.b.selected == before)
    }
}
