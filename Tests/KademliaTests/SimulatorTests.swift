import Kademlia
import KademliaSimulator
import MeshCore
import TestSupport
import Testing

/// The deterministic simulated network with the fast oracle shortcut (`tables: .oracle`, one-off churn): 1,000
/// nodes, churn, liars, expiry. The honest model's tests are in `HonestSimulatorTests`.
@Suite struct SimulatorTests {
    /// The old, faster model: global-knowledge tables, nodes leave once before the lookups.
    static func oracle(
        nodes: Int,
        churn: Double,
        malicious: Double,
        lookups: Int,
        seed: UInt64
    ) -> Experiment.Parameters {
        var parameters = Experiment.Parameters(
            nodes: nodes,
            churn: churn,
            malicious: malicious,
            lookups: lookups,
            seed: seed
        )
        parameters.tables = .oracle
        parameters.churnModel = .oneOff
        return parameters
    }

    @Test func thousandNodesFindEveryRecord() async {
        var parameters = Self.oracle(nodes: 1_000, churn: 0, malicious: 0, lookups: 300, seed: 11)
        parameters.publishers = 20
        let outcome = await offThePool { [parameters] in Experiment.run(parameters) }
        #expect(outcome.lookups == 300)
        #expect(outcome.successRate == 1)
        #expect(outcome.forgedAccepted == 0)
        #expect(outcome.publishMilliseconds.count == 20)
        let sortedHops = outcome.hops.sorted()
        #expect(sortedHops[sortedHops.count / 2] <= 3)
    }

    /// The liars attempt an eclipse (made-up contacts closer to the target than anyone honest): with one lookup
    /// path they win about 2.5 % of these lookups (97.5 % success), so the defence under test is S/Kademlia's three
    /// disjoint paths, and forged records never get through either way.
    @Test func liarsAndForgersDoNotWin() async {
        var parameters = Self.oracle(nodes: 1_000, churn: 0.1, malicious: 0.2, lookups: 200, seed: 12)
        parameters.publishers = 20
        parameters.config.disjointPaths = 3
        let outcome = await offThePool { [parameters] in Experiment.run(parameters) }
        #expect(outcome.lookups == 200)
        #expect(outcome.successRate >= 0.99)
        #expect(outcome.forgedAccepted == 0)
        // Forgers were met and their records refused.
        #expect(outcome.recordsRejected > 0)
    }

    @Test func disjointPathsFindRecordsPastLiars() async {
        var parameters = Self.oracle(nodes: 500, churn: 0, malicious: 0.3, lookups: 100, seed: 14)
        parameters.publishers = 10
        parameters.config.disjointPaths = 3
        let outcome = await offThePool { [parameters] in Experiment.run(parameters) }
        #expect(outcome.lookups == 100)
        #expect(outcome.successRate >= 0.99)
        #expect(outcome.forgedAccepted == 0)
    }

    @Test func lookupsSurviveContinuousChurn() async {
        var parameters = Self.oracle(nodes: 1_000, churn: 0.2, malicious: 0, lookups: 200, seed: 15)
        parameters.publishers = 10
        parameters.flapsPerLookup = 2
        let outcome = await offThePool { [parameters] in Experiment.run(parameters) }
        #expect(outcome.lookups == 200)
        #expect(outcome.successRate >= 0.99)
    }

    @Test func lookupsSurvivePacketLoss() async {
        var parameters = Self.oracle(nodes: 300, churn: 0, malicious: 0, lookups: 100, seed: 13)
        parameters.publishers = 10
        parameters.latency = LatencyModel(loss: 0.05)
        let outcome = await offThePool { [parameters] in Experiment.run(parameters) }
        #expect(outcome.lookups == 100)
        #expect(outcome.successRate >= 0.99)
    }

    @Test func sameSeedSameRun() async {
        var parameters = Self.oracle(nodes: 200, churn: 0.1, malicious: 0.1, lookups: 50, seed: 3)
        parameters.publishers = 5
        let first = await offThePool { [parameters] in Experiment.run(parameters) }
        let second = await offThePool { [parameters] in Experiment.run(parameters) }
        #expect(first.latencyMilliseconds == second.latencyMilliseconds)
        #expect(first.messages == second.messages)
    }

    /// Nodes join through one bootstrap node, then publish and find providers; a departed provider's entries
    /// and agent record expire after their TTL.
    @Test func joinProvideAndExpire() throws {
        var config = KademliaConfig()
        config.recordTTL = .seconds(60)
        config.republishInterval = .seconds(20)
        config.expirySweepInterval = .seconds(5)
        let simulator = Simulator(
            count: 40,
            seed: 5,
            config: config,
            latency: LatencyModel(medianOneWay: .milliseconds(20), sigma: 0.3)
        )
        var results: [Int: LookupResult] = [:]
        var published = 0
        simulator.eventHandler = { node, event in
            if case .lookupFinished(let result) = event { results[node] = result }
            if case .publishFinished = event { published += 1 }
        }
        let seed = simulator.nodes[0].address
        for index in 1..<40 {
            simulator.interact(index) { core, now in core.bootstrap(from: [seed], now: now) }
            simulator.run(until: simulator.now + .milliseconds(500))
        }
        simulator.run(until: simulator.now + .seconds(5))
        #expect(simulator.nodes.allSatisfy { $0.core.routingTable.count >= 10 })

        let provider = 7
        let did = simulator.nodes[provider].core.did
        try simulator.interact(provider) { core, now in
            Result {
                try core.publishAgentRecord(agentCard: Array("{\"name\":\"seven\"}".utf8), now: now)
                core.provide(capability: "translate", now: now)
            }
        }.get()
        simulator.run(while: { published < 2 }, until: simulator.now + .seconds(10))
        #expect(published == 2)

        func askEveryone() {
            results = [:]
            for index in 0..<40 where index != provider {
                simulator.interact(index) { core, now in
                    core.getAgentRecord(did: did, now: now)
                    core.getProviders(ProviderRecord.key(forCapability: "translate"), now: now)
                }
            }
            simulator.run(until: simulator.now + .seconds(12))
        }
        var records = 0
        var providers = 0
        simulator.eventHandler = { _, event in
            guard case .lookupFinished(let result) = event else { return }
            if result.agentRecord?.did == did { records += 1 }
            if result.providerRecords.contains(where: { $0.providerDID == did }) { providers += 1 }
        }
        askEveryone()
        #expect(records == 39)
        #expect(providers == 39)

        // The provider leaves; its records outlive it by at most one TTL (60 s), then nobody finds them.
        simulator.setOnline(provider, false)
        simulator.run(until: simulator.now + .seconds(70))
        records = 0
        providers = 0
        askEveryone()
        #expect(records == 0)
        #expect(providers == 0)
    }
}
