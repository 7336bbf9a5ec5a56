import MeshCore
import Testing

@testable import ICE

@Suite("ICE agent answers and rejects checks")
struct ICEResponderTests {
    let now = Timestamp(secondsSinceEpoch: 10)
    let local = TransportAddress("192.0.2.1:1000")!
    let peer = TransportAddress("203.0.113.9:2000")!

    func makeAgent() -> ICEAgent<SeededRandom> {
        var agent = ICEAgent(role: .controlled, random: SeededRandom(seed: 3))
        agent.addLocalCandidate(Candidate(kind: .host, address: local), now: now)
        agent.setRemoteCredentials(ICECredentials(ufrag: "PEER", pwd: "pppppppppppppppppppppppp"), now: now)
        return agent
    }

    func request(
        _ agent: ICEAgent<SeededRandom>,
        username: String? = nil,
        key: [UInt8]? = nil,
        extra: [STUNAttribute] = []
    )
        -> [UInt8]
    {
        let attributes: [STUNAttribute] =
            [
                .username(username ?? "\(agent.localCredentials.ufrag):PEER"), .priority(1234),
                .iceControlling(tieBreaker: 1),
            ]
            + extra
        return STUNMessage(.request, transactionID: [UInt8](repeating: 5, count: 12), attributes: attributes)
            .encoded(integrityKey: key ?? Array(agent.localCredentials.pwd.utf8))
    }

    func reply(_ agent: inout ICEAgent<SeededRandom>) throws -> DecodedSTUN {
        let polled = agent.pollTransmit()
        let transmit = try #require(polled)
        #expect(transmit.from == local && transmit.to == peer)
        return try STUNMessage.decode(transmit.bytes)
    }

    @Test("an authenticated check gets XOR-MAPPED-ADDRESS signed with our password and teaches a prflx candidate")
    func answers() throws {
        var agent = makeAgent()
        #expect(agent.handleInput(request(agent), from: peer, to: local, now: now) == .handled)
        let response = try reply(&agent)
        #expect(response.message.messageClass == .successResponse)
        #expect(response.message.xorMappedAddress == peer)
        #expect(response.verifyIntegrity(key: Array(agent.localCredentials.pwd.utf8)))
        #expect(agent.remoteCandidates.map(\.kind) == [.peerReflexive])
        #expect(agent.remoteCandidates.first?.priority == 1234)
    }

    @Test("wrong password or ufrag: 401 without MESSAGE-INTEGRITY, and no state change")
    func unauthenticated() throws {
        var agent = makeAgent()
        for bytes in [request(agent, key: Array("nope".utf8)), request(agent, username: "XXXX:PEER")] {
            _ = agent.handleInput(bytes, from: peer, to: local, now: now)
            let response = try reply(&agent)
            #expect(response.message.errorCode == 401)
            #expect(response.integrityOffset == nil)
        }
        #expect(agent.remoteCandidates.isEmpty && agent.pairs.isEmpty)
    }

    @Test("USE-CANDIDATE without valid integrity never nominates")
    func unauthenticatedNomination() throws {
        var agent = makeAgent()
        agent.addRemoteCandidate(Candidate(kind: .host, address: peer), now: now)
        _ = agent.handleInput(
            request(agent, key: Array("forged".utf8), extra: [.useCandidate]),
            from: peer,
            to: local,
            now: now
        )
        #expect(agent.pairs.allSatisfy { !$0.nominateOnSuccess && !$0.nominated })
        #expect(agent.selected == nil)
    }

    @Test("unknown comprehension-required attributes get 420 with UNKNOWN-ATTRIBUTES")
    func unknownAttribute() throws {
        var agent = makeAgent()
        _ = agent.handleInput(request(agent, extra: [.other(type: 0x0031, value: [])]), from: peer, to: local, now: now)
        let response = try reply(&agent)
        #expect(response.message.errorCode == 420)
        #expect(response.message.attributes.contains(.unknownAttributes([0x0031])))
    }

    @Test("a request without USERNAME gets 400; garbage and non-STUN are told apart")
    func badRequests() throws {
        var agent = makeAgent()
        let bare = STUNMessage(.request, transactionID: [UInt8](repeating: 1, count: 12)).encoded()
        _ = agent.handleInput(bare, from: peer, to: local, now: now)
        #expect(try reply(&agent).message.errorCode == 400)
        #expect(agent.handleInput([1, 2, 3], from: peer, to: local, now: now) == .notSTUN)
        var corrupt = request(agent)
        corrupt[corrupt.count - 1] ^= 0xFF
        #expect(agent.handleInput(corrupt, from: peer, to: local, now: now) == .handled)
        #expect(agent.pollTransmit() == nil)
    }

    @Test("candidates survive the SDP form; malformed lines are rejected")
    func sdp() throws {
        let candidate = Candidate(
            kind: .serverReflexive,
            address: TransportAddress("203.0.113.7:4000")!,
            base: TransportAddress("192.0.2.7:5000")!,
            relatedAddress: TransportAddress("192.0.2.7:5000")!
        )
        let parsed = try #require(Candidate(sdp: "candidate:" + candidate.sdp))
        #expect(parsed.address == candidate.address && parsed.kind == .serverReflexive)
        #expect(parsed.priority == candidate.priority && parsed.relatedAddress == candidate.relatedAddress)
        #expect(Candidate(sdp: "1 1 tcp 1 192.0.2.1 9 typ host") == nil)
        #expect(Candidate(sdp: "1 1 udp x 192.0.2.1 9 typ host") == nil)
        #expect(Candidate(sdp: "") == nil)
        #expect(Candidate(sdp: "abc 1 UDP 2130706431 192.0.2.1 9 typ host")?.kind == .host)
    }

    @Test("a flood of checks from one source is answered only up to the per-source burst")
    func flood() {
        var agent = makeAgent()
        var answers = 0
        for _ in 0..<1_000 {
            _ = agent.handleInput(request(agent, key: Array("forged".utf8)), from: peer, to: local, now: now)
            while agent.pollTransmit() != nil { answers += 1 }
        }
        #expect(answers == 200)
        #expect(agent.droppedRequests == 800)
    }
}
