import MeshCore
import Testing

@testable import ICE

@Suite("Port prediction in the ICE agent, sans-IO")
struct PortPredictionAgentTests {
    static let symmetricHint = ICENATHint(mapping: ICENATHint.endpointDependent, publicIP: IPAddress("203.0.113.20"))
    static let coneHint = ICENATHint(mapping: ICENATHint.endpointIndependent, publicIP: IPAddress("203.0.113.30"))

    /// A symmetric NAT with random ports (the lab's `masquerade fully-random`) against a port-restricted cone.
    static func symmetricAgainstCone(seed: UInt64, enabled: Bool = true) -> NATPairSimulation {
        var config = ICEAgentConfig()
        config.portPrediction.enabled = enabled
        return NATPairSimulation(
            .symmetric,
            .portRestricted,
            loss: 0,
            seed: seed,
            hints: [symmetricHint, coneHint],
            config: config,
            randomPortsForA: true
        )
    }

    @Test("symmetric (random ports) against port-restricted: prediction finds a direct pair, within every cap")
    func reachesDirect() throws {
        var sim = Self.symmetricAgainstCone(seed: 11)
        let result = sim.run(limit: .seconds(15))
        let elapsed = try #require(result)
        #expect(sim.selection(1) != nil)
        #expect(elapsed < .seconds(8))
        let opener = sim.agents[0].portPredictionStatus
        let prober = sim.agents[1].portPredictionStatus
        #expect(opener.role == .opener && prober.role == .prober)
        #expect(opener.socketsOpened == 256 && opener.packetsSent <= 256)
        #expect(prober.packetsSent > 0 && prober.packetsSent <= 2_048)
        let hit = try #require(opener.hit)
        #expect(prober.hit?.ip == IPAddress("203.0.113.20"))
        // The selected pair sends from the socket the probe reached; every other prediction socket is closed.
        let selected = try #require(sim.agents[0].selected)
        #expect(selected.base == hit)
        #expect(Set(sim.closedSockets[0]) == Set(sim.predictionSockets[0]).subtracting([hit]))
    }

    @Test("a sequential allocator is found by the ±48 window with its first probe")
    func sequential() throws {
        var sim = NATPairSimulation(
            .symmetric,
            .portRestricted,
            loss: 0,
            seed: 13,
            hints: [Self.symmetricHint, Self.coneHint]
        )
        let result = sim.run(limit: .seconds(15))
        #expect(result != nil)
        let prober = sim.agents[1].portPredictionStatus
        #expect(prober.role == .prober && prober.hit != nil)
        // The first window probe (+1) already hits; the others left during its 30 ms round trip, one per 2 ms.
        #expect(prober.packetsSent <= 1 + 15 + 1, "probes before the hit: \(prober.packetsSent)")
    }

    /// A trickling peer's NAT hint comes in its `candidates` signal after the description (the node's trickle).
    @Test("hints that arrive after the descriptions still start prediction; without them nothing is predicted")
    func lateHints() throws {
        func cell() -> NATPairSimulation {
            NATPairSimulation(
                .symmetric,
                .portRestricted,
                loss: 0,
                seed: 11,
                hints: [Self.symmetricHint, Self.coneHint],
                randomPortsForA: true,
                hintsInDescriptions: false
            )
        }
        var without = cell()
        let none = without.run(limit: .seconds(15))
        #expect(none == nil, "no remote hint: no prediction, no pair")
        #expect(without.agents[0].portPredictionStatus.packetsSent == 0)
        var late = cell()
        _ = late.run(limit: .milliseconds(300))  // checks run for a while without a hint
        late.agents[0].setRemoteNAT(Self.coneHint)
        late.agents[1].setRemoteNAT(Self.symmetricHint)
        let result = late.run(limit: .seconds(15))
        let elapsed = try #require(result)
        #expect(elapsed < .seconds(9))
        #expect(late.agents[0].portPredictionStatus.role == .opener)
        #expect(late.agents[1].portPredictionStatus.role == .prober)
        // Once prediction has begun (or finished), a hint changes nothing.
        late.agents[1].setRemoteNAT(Self.coneHint)
        #expect(late.agents[1].portPredictionStatus.role == .prober)
    }

    @Test("the same cell with prediction off finds no direct pair, and nothing extra is sent")
    func offMeansRelay() {
        var sim = Self.symmetricAgainstCone(seed: 11, enabled: false)
        #expect(sim.run(limit: .seconds(20)) == nil)
        #expect(sim.agents[0].portPredictionStatus.role == .off)
        #expect(sim.agents[1].portPredictionStatus.packetsSent == 0)
        #expect(sim.predictionSockets[0].isEmpty)
    }

    @Test("over several seeds the cell always connects (the 2,048-probe cap misses with p < 0.001)")
    func seeds() {
        var connected = 0
        for seed in UInt64(20)..<26 {
            var sim = Self.symmetricAgainstCone(seed: seed)
            if sim.run(limit: .seconds(15)) != nil { connected += 1 }
        }
        #expect(connected == 6)
    }

    @Test("the prober sends exactly the cap, paced, authenticated, to the symmetric NAT's public address only")
    func proberCaps() throws {
        var config = ICEAgentConfig()
        config.portPrediction.maximumProbes = 300
        var agent = ICEAgent(role: .controlled, config: config, random: SeededRandom(seed: 4))
        let start = Timestamp(secondsSinceEpoch: 50)
        let host = TransportAddress("192.0.2.18:5000")!
        agent.setLocalNAT(Self.coneHint)
        agent.addLocalCandidate(Candidate(kind: .host, address: host), now: start)
        let remote = ICECredentials(ufrag: "RRRR", pwd: "rrrrrrrrrrrrrrrrrrrrrrrr")
        let srflx = Candidate(kind: .serverReflexive, address: TransportAddress("203.0.113.20:41000")!)
        agent.setRemote(
            ICEDescription(credentials: remote, candidates: [srflx], endOfCandidates: true, nat: Self.symmetricHint),
            now: start
        )
        var probes: [(at: Timestamp, to: TransportAddress)] = []
        var now = start
        while let next = agent.pollTimeout(), next < start + .seconds(12) {
            now = max(now, next)
            agent.handleTimeout(now: now)
            while let transmit = agent.pollTransmit() {
                let decoded = try STUNMessage.decode(transmit.bytes)
                guard transmit.to != srflx.address else { continue }  // the ordinary check
                #expect(decoded.verifyIntegrity(key: Array(remote.pwd.utf8)))
                #expect(transmit.from == host)
                probes.append((now, transmit.to))
            }
        }
        #expect(probes.count == 300)
        #expect(Set(probes.map(\.to)).count == 300)
        #expect(probes.allSatisfy { $0.to.ip == IPAddress("203.0.113.20") })
        #expect(probes.first?.to.port == 41_001)  // the sequential window first
        let delay = config.portPrediction.probeDelay
        #expect(probes.first?.at == start + delay)
        #expect(probes.last?.at == start + delay + .milliseconds(2 * 299))
        #expect(agent.portPredictionStatus.packetsSent == 300)
    }
}
