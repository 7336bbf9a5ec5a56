import MeshCore
import Testing

@testable import ICE

@Suite("ICE agent, sans-IO")
struct ICEAgentTests {
    @Test("the first check has the exact RFC 8445 attributes and the retransmission deadline")
    func firstCheck() throws {
        var agent = ICEAgent(role: .controlling, random: SeededRandom(seed: 7))
        let now = Timestamp(secondsSinceEpoch: 10)
        let remote = ICECredentials(ufrag: "RRRR", pwd: "rrrrrrrrrrrrrrrrrrrrrrrr")
        agent.addLocalCandidate(Candidate(kind: .host, address: TransportAddress("192.0.2.1:1000")!), now: now)
        agent.setRemote(
            ICEDescription(
                credentials: remote,
                candidates: [Candidate(kind: .host, address: TransportAddress("203.0.113.9:2000")!)],
                endOfCandidates: true
            ),
            now: now
        )
        #expect(agent.pollEvent() == .checking)
        #expect(agent.pollTimeout() == now)
        agent.handleTimeout(now: now)
        let polled = agent.pollTransmit()
        let transmit = try #require(polled)
        #expect(agent.pollTransmit() == nil)
        #expect(transmit.from == TransportAddress("192.0.2.1:1000"))
        #expect(transmit.to == TransportAddress("203.0.113.9:2000"))
        let decoded = try STUNMessage.decode(transmit.bytes)
        #expect(decoded.message.messageClass == .request)
        #expect(decoded.message.username == "RRRR:\(agent.localCredentials.ufrag)")
        #expect(decoded.message.priority == UInt32(1_862_270_975))  // 110·2^24 + 65535·2^8 + 255
        #expect(decoded.message.iceControlling == agent.tieBreaker)
        #expect(!decoded.message.useCandidate)
        #expect(decoded.hasFingerprint)
        #expect(decoded.verifyIntegrity(key: Array(remote.pwd.utf8)))
        #expect(agent.pairs.map(\.state) == [.inProgress])
        #expect(agent.pollTimeout() == now + .milliseconds(250))
    }

    @Test("two agents select the host pair within one second of virtual time, both sides agree")
    func connects() throws {
        var sim = SimulatedPair()
        sim.exchange()
        sim.run(for: .seconds(3))
        let (aLocal, aRemote, elapsed) = try #require(SimulatedPair.selection(sim.eventsA))
        let (bLocal, bRemote, _) = try #require(SimulatedPair.selection(sim.eventsB))
        #expect(aLocal == sim.aHost && aRemote == sim.bHost)
        #expect(bLocal == sim.bHost && bRemote == sim.aHost)
        #expect(elapsed < .seconds(1))
        #expect(sim.a.state == .connected && sim.b.state == .connected)
        #expect(sim.a.pairs.first?.nominated == true)
    }

    @Test("behind a NAT the peer learns a peer-reflexive candidate and still connects")
    func peerReflexive() throws {
        var sim = SimulatedPair()
        sim.natForA = TransportAddress("198.51.100.1:40000")!
        sim.exchange(advertiseA: false)
        sim.run(for: .seconds(3))
        #expect(sim.eventsB.contains { if case .peerReflexive(let c) = $0 { c.address == sim.natForA } else { false } })
        let (bLocal, bRemote, _) = try #require(SimulatedPair.selection(sim.eventsB))
        #expect(bLocal == sim.bHost && bRemote == sim.natForA)
        #expect(SimulatedPair.selection(sim.eventsA) != nil)
    }

    @Test("both controlling: the role conflict is resolved and a pair is still selected")
    func roleConflict() throws {
        var sim = SimulatedPair(roleA: .controlling, roleB: .controlling)
        sim.exchange()
        sim.run(for: .seconds(5))
        let changes = (sim.eventsA + sim.eventsB).filter { if case .roleChanged = $0 { true } else { false } }
        #expect(changes.count == 1)
        #expect(sim.a.role != sim.b.role)
        #expect(SimulatedPair.selection(sim.eventsA) != nil && SimulatedPair.selection(sim.eventsB) != nil)
    }

    @Test("an unreachable peer fails with a report for every pair once its candidates are exhausted")
    func failure() throws {
        var sim = SimulatedPair()
        sim.blackhole = true
        sim.exchange()
        sim.run(for: .seconds(20))
        let failures = sim.eventsA.compactMap { if case .failed(let f) = $0 { f } else { nil } }
        let failure = try #require(failures.first)
        #expect(failures.count == 1)
        #expect(failure.code == .allPairsFailed)
        #expect(failure.pairs.count == 1)
        #expect(failure.pairs[0].requestsSent == 7)
        #expect(failure.pairs[0].responsesReceived == 0)
        #expect(failure.pairs[0].lastError == "no response to 7 requests")
        #expect(sim.a.state == .failed)
    }

    @Test("consent is refreshed while the peer answers and lost 30 s after it stops")
    func consent() throws {
        var sim = SimulatedPair()
        sim.exchange()
        sim.run(for: .seconds(60))
        // Consent probes every 4-6 s were all answered.
        #expect(sim.a.pairs[0].responsesReceived >= 10)
        #expect(sim.a.state == .connected)
        #expect(!sim.eventsA.contains { if case .consentLost = $0 { true } else { false } })
        sim.blackhole = true
        // The last answer came at most 6 s before the blackhole, so consent ends 24-30 s into it.
        sim.run(for: .seconds(23))
        #expect(sim.a.state == .connected)
        sim.run(for: .seconds(8))
        #expect(sim.a.state == .disconnected)
        #expect(sim.eventsA.contains(.consentLost(local: sim.aHost, remote: sim.bHost)))
    }

    @Test("trickled candidates after checks began still lead to a selected pair")
    func trickle() throws {
        var sim = SimulatedPair()
        sim.a.addLocalCandidate(Candidate(kind: .host, address: sim.aHost), now: sim.now)
        sim.b.addLocalCandidate(Candidate(kind: .host, address: sim.bHost), now: sim.now)
        var offer = sim.a.localDescription(endOfCandidates: false)
        offer.candidates = []
        sim.b.setRemote(offer, now: sim.now)
        var answer = sim.b.localDescription(endOfCandidates: false)
        answer.candidates = []
        sim.a.setRemote(answer, now: sim.now)
        sim.run(for: .milliseconds(200))
        #expect(SimulatedPair.selection(sim.eventsA) == nil)
        let trickled = ICETrickle(
            ufrag: sim.b.localCredentials.ufrag,
            candidate: Candidate(kind: .host, address: sim.bHost)
        )
        sim.a.addRemoteCandidate(try #require(trickled.candidate.flatMap { Candidate(sdp: $0) }), now: sim.now)
        sim.a.setRemoteEndOfCandidates(now: sim.now)
        sim.run(for: .seconds(2))
        #expect(SimulatedPair.selection(sim.eventsA)?.1 == sim.bHost)
        #expect(SimulatedPair.selection(sim.eventsB) != nil)
    }

    @Test("a response from another address than the request went to fails the pair (not symmetric)")
    func asymmetricResponse() throws {
        var agent = ICEAgent(role: .controlling, random: SeededRandom(seed: 9))
        let now = Timestamp(secondsSinceEpoch: 10)
        let local = TransportAddress("192.0.2.1:1000")!
        let remote = ICECredentials(ufrag: "RRRR", pwd: "rrrrrrrrrrrrrrrrrrrrrrrr")
        agent.addLocalCandidate(Candidate(kind: .host, address: local), now: now)
        agent.setRemoteCredentials(remote, now: now)
        agent.addRemoteCandidate(Candidate(kind: .host, address: TransportAddress("203.0.113.9:2000")!), now: now)
        agent.handleTimeout(now: now)
        let polled = agent.pollTransmit()
        let request = try STUNMessage.decode(try #require(polled).bytes).message
        let response = STUNMessage(
            .successResponse,
            transactionID: request.transactionID,
            attributes: [.xorMappedAddress(local)]
        )
        .encoded(integrityKey: Array(remote.pwd.utf8))
        let result = agent.handleInput(response, from: TransportAddress("203.0.113.9:2001")!, to: local, now: now)
        #expect(result == .handled)
        #expect(agent.pairs.first?.state == .failed)
        #expect(agent.pairs.first?.lastError?.contains("not symmetric") == true)
    }
}
