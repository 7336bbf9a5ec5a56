import Indexer
import Kademlia
import MeshCore
import Testing

/// A node that restarts on another port keeps its key and ID. The crawler must follow it to the new address once
/// it stops answering at the old one, and must not let anyone move a node that answers (real cores, datagram by
/// datagram; the devnet's indexer lost an agent that restarted this way for over 90 s).
@Suite struct CrawlerMovedNodeTests {
    let start = Timestamp(secondsSinceEpoch: 1_800_000_000)
    let crawlerAddress = TransportAddress(ip: [10, 0, 0, 1], port: 4_000)!
    let oldAddress = TransportAddress(ip: [10, 0, 0, 2], port: 4_000)!
    let newAddress = TransportAddress(ip: [10, 0, 0, 2], port: 4_001)!
    let thirdAddress = TransportAddress(ip: [10, 0, 0, 3], port: 4_000)!

    func node(_ seed: UInt64) -> KademliaNode { TestCores.node(seed, now: start) }

    /// The crawler's core, the agent it first hears of at `oldAddress`, a third node, and a crawler that knows only
    /// the agent (no random walks, so every probe is one the test expects).
    func cast(revisit: Duration? = nil) -> (core: KademliaNode, agent: KademliaNode, third: KademliaNode, Crawler) {
        let agent = node(2)
        var config = CrawlerConfig()
        config.randomWalkInterval = .seconds(3_600)
        if let revisit { config.revisitInterval = revisit }
        var crawler = Crawler(config: config, random: SeededRandom(seed: 9), now: start)
        crawler.seed([Contact(id: agent.localID, address: oldAddress)], now: start)
        return (node(1), agent, node(3), crawler)
    }

    /// Sends `probes` through `core`, delivers each to whichever of `peers` listens at its address (none: it times
    /// out), and feeds the results to the crawler. Returns the results.
    @discardableResult
    func run(
        _ probes: [CrawlProbe],
        core: KademliaNode,
        peers: [TransportAddress: KademliaNode],
        crawler: inout Crawler,
        now: Timestamp
    ) -> [ProbeResult] {
        for probe in probes { core.probe(probe.request, to: probe.contact, now: now) }
        for _ in 0..<10 {
            let out = core.drainTransmits()
            if out.isEmpty { break }
            for transmit in out {
                guard let peer = peers[transmit.destination] else { continue }
                peer.handleDatagram(transmit.bytes, from: crawlerAddress, now: now)
                for answer in peer.drainTransmits() where answer.destination == crawlerAddress {
                    core.handleDatagram(answer.bytes, from: transmit.destination, now: now)
                }
            }
        }
        core.handleTimeout(now: now + .seconds(5))
        var results: [ProbeResult] = []
        while let event = core.pollEvent() {
            if case .probeFinished(let result) = event { results.append(result) }
        }
        for result in results { _ = crawler.handle(result, now: now + .seconds(5)) }
        return results
    }

    @Test func aNodeThatRestartedElsewhereIsFollowedToItsNewAddress() throws {
        var (core, agent, third, crawler) = cast(revisit: .seconds(60))

        // First life: found, key proved, record asked for.
        var now = start
        var peers = [oldAddress: agent]
        for _ in 0..<2 {
            run(crawler.nextProbes(now: now), core: core, peers: peers, crawler: &crawler, now: now)
            now = now + .seconds(6)
        }
        #expect(crawler.stats.nodesAnswered == 1)

        // The agent restarts on another port (same key); the third node knows where.
        let restarted = KademliaNode(signingKey: agent.signingKey, random: SeededRandom(seed: 77), now: now)
        third.adoptVerifiedContact(Contact(id: agent.localID, address: newAddress), now: now)
        peers = [newAddress: restarted, thirdAddress: third]

        // Its revisit goes to the old address and is not answered.
        now = now + .seconds(61)
        let revisit = crawler.nextProbes(now: now)
        #expect(revisit.map(\.contact.address) == [oldAddress])
        let missed = run(revisit, core: core, peers: peers, crawler: &crawler, now: now)
        #expect(missed.allSatisfy { !$0.answered })

        // The crawler hears of the third node, which names the agent's new address.
        crawler.seed([Contact(id: third.localID, address: thirdAddress)], now: now)
        run(crawler.nextProbes(now: now), core: core, peers: peers, crawler: &crawler, now: now)
        now = now + .seconds(6)
        let next = crawler.nextProbes(now: now)
        let toAgent = next.filter { $0.contact.id == agent.localID }
        #expect(toAgent.map(\.contact.address) == [newAddress], "asked at the new address")
        #expect(toAgent.map(\.request) == [.findNode(agent.localID)], "with a findNode, which proves its key there")
        let proved = run(next, core: core, peers: peers, crawler: &crawler, now: now)
        #expect(proved.contains { $0.contact.id == agent.localID && $0.answered })
        #expect(crawler.stats.nodesForgotten == 0)
    }

    @Test func aNodeThatAnswersIsNotMovedByAnotherAddressForIt() throws {
        var (core, agent, third, crawler) = cast()
        // A third node that names the agent at an address where nobody is.
        third.adoptVerifiedContact(Contact(id: agent.localID, address: newAddress), now: start)
        let peers = [oldAddress: agent, thirdAddress: third]
        var now = start
        run(crawler.nextProbes(now: now), core: core, peers: peers, crawler: &crawler, now: now)
        crawler.seed([Contact(id: third.localID, address: thirdAddress)], now: now)
        for _ in 0..<3 {
            now = now + .seconds(6)
            let probes = crawler.nextProbes(now: now)
            #expect(probes.filter { $0.contact.id == agent.localID }.allSatisfy { $0.contact.address == oldAddress })
            run(probes, core: core, peers: peers, crawler: &crawler, now: now)
        }
        #expect(crawler.stats.probesTimedOut == 0)
    }
}
