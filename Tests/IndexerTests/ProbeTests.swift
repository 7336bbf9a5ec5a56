import Indexer
import Kademlia
import MeshCore
import Testing

/// The Kademlia core's `probe` command (decision 0088), datagram by datagram between two real cores.
@Suite struct ProbeTests {
    let start = Timestamp(secondsSinceEpoch: 1_800_000_000)

    func node(_ seed: UInt64) -> KademliaNode { TestCores.node(seed, now: start) }

    /// Delivers every queued datagram between the two until both are quiet (bounded).
    func exchange(_ a: KademliaNode, _ aAddress: TransportAddress, _ b: KademliaNode, _ bAddress: TransportAddress) {
        for _ in 0..<10 {
            let fromA = a.drainTransmits()
            let fromB = b.drainTransmits()
            if fromA.isEmpty && fromB.isEmpty { return }
            for transmit in fromA where transmit.destination == bAddress {
                b.handleDatagram(transmit.bytes, from: aAddress, now: start)
            }
            for transmit in fromB where transmit.destination == aAddress {
                a.handleDatagram(transmit.bytes, from: bAddress, now: start)
            }
        }
    }

    func probeResults(_ node: KademliaNode) -> [ProbeResult] {
        var results: [ProbeResult] = []
        while let event = node.pollEvent() {
            if case .probeFinished(let result) = event { results.append(result) }
        }
        return results
    }

    @Test func answeredProbeNamesTheKeyAndCarriesTheRecord() throws {
        let crawler = node(1)
        let agent = node(2)
        let crawlerAddress = TransportAddress(ip: [10, 0, 0, 1], port: 4_000)!
        let agentAddress = TransportAddress(ip: [10, 0, 0, 2], port: 4_000)!
        let third = Contact(id: node(3).localID, address: TransportAddress(ip: [10, 0, 0, 3], port: 4_000)!)
        agent.adoptVerifiedContact(third, now: start)
        try agent.publishAgentRecord(agentCard: Array("{}".utf8), now: start)
        _ = agent.drainTransmits()
        let contact = Contact(id: agent.localID, address: agentAddress)

        crawler.probe(.findNode(agent.localID), to: contact, now: start)
        exchange(crawler, crawlerAddress, agent, agentAddress)
        let found = try #require(probeResults(crawler).first)
        #expect(found.answered && !found.timedOut)
        #expect(found.senderKey == agent.signingKey.publicKey)
        #expect(found.contacts.contains(third))

        crawler.probe(.findValue(AgentRecord.key(forDID: agent.did)), to: contact, now: start)
        exchange(crawler, crawlerAddress, agent, agentAddress)
        let value = try #require(probeResults(crawler).first)
        let record = try #require(value.record)
        #expect(try AgentRecord(wireBytes: record.envelope.bytes).did == agent.did)
    }

    @Test func silentContactTimesOut() throws {
        let crawler = node(4)
        let silent = Contact(id: node(5).localID, address: TransportAddress(ip: [10, 0, 0, 5], port: 4_000)!)
        let id = crawler.probe(.findNode(silent.id), to: silent, now: start)
        #expect(crawler.drainTransmits().count == 1)
        crawler.handleTimeout(now: start + crawler.config.requestTimeout)
        let result = try #require(probeResults(crawler).first)
        #expect(result.id == id && result.timedOut && !result.answered && result.contact == silent)
    }

    @Test func replyFromAnotherKeyIsNotTheProbesAnswer() throws {
        let crawler = node(6)
        let agent = node(7)
        let crawlerAddress = TransportAddress(ip: [10, 0, 0, 6], port: 4_000)!
        let agentAddress = TransportAddress(ip: [10, 0, 0, 7], port: 4_000)!
        // The crawler was told the contact at this address has another node's ID: the real node's reply is refused.
        let wrong = Contact(id: node(8).localID, address: agentAddress)
        crawler.probe(.findNode(wrong.id), to: wrong, now: start)
        exchange(crawler, crawlerAddress, agent, agentAddress)
        #expect(probeResults(crawler).isEmpty)
        #expect(crawler.counters.dropped[.unsolicited] == 1)
    }
}
