import Kademlia
import KademliaSimulator
import MeshCore
import TestSupport
import Testing

/// The honest model (`tables: .joined`, `churnModel: .continuous`) on small networks: tables from real joins
/// through bootstrap nodes, Weibull sessions, publishing and lookups while nodes come and go, eclipse lies.
@Suite struct HonestSimulatorTests {
    /// 300 nodes joining over 3 simulated minutes, then a 6-minute window in which a fifth of the nodes would
    /// leave per 10 minutes (churn 1.2 per hour, six times the IPFS DHT's measured rate, so that tens of nodes
    /// leave and arrive within the short window).
    static func small(
        seed: UInt64,
        nodes: Int = 300,
        churn: Double = 1.2,
        malicious: Double = 0
    ) -> Experiment.Parameters {
        var parameters = Experiment.Parameters(
            nodes: nodes,
            churn: churn,
            malicious: malicious,
            lookups: 150,
            seed: seed
        )
        parameters.publishers = 15
        parameters.growth = .seconds(3 * 60)
        parameters.settle = .seconds(60)
        parameters.window = .seconds(6 * 60)
        parameters.config.bucketRefreshInterval = .seconds(5 * 60)
        return parameters
    }

    /// Joined tables find records under continuous churn. The threshold, 97 %, leaves room for lookups that start
    /// from a node that has just arrived and for dead contacts timing out; a record itself survives (it lives on
    /// 20 storers, and at this rate each storer leaves within the window with a probability near 0.12).
    @Test func joinedTablesFindRecordsUnderContinuousChurn() async {
        let outcome = await offThePool { Experiment.run(Self.small(seed: 21)) }
        #expect(outcome.lookups == 150)
        #expect(outcome.departures >= 10)
        #expect(outcome.arrivals >= 10)
        #expect(outcome.successRate >= 0.97)
        #expect(outcome.forgedAccepted == 0)
        // Tables were built by joins: every node knows far fewer than the whole network, but more than its seed.
        #expect(outcome.medianTableSize >= 20 && outcome.medianTableSize < 300)
        // Publishing ran during the churn, and republishing too (the window is longer than... one publish each).
        #expect(outcome.publishMilliseconds.count >= 15)
        let hops = outcome.hops.sorted()
        #expect(hops[hops.count / 2] <= 3)
    }

    /// 15 % of the nodes attempt an eclipse: every lookup they answer gets made-up contacts closer to the target
    /// than any honest node, at addresses where nobody answers, and the colluders closest to the target. A lookup
    /// that trusted them would fail whenever it met a liar (most lookups meet one); the unanswered sybils time out,
    /// the honest candidates rise back into the k closest, and the lookup still reaches the storers.
    @Test func eclipseLiesArePartlyResisted() async {
        var parameters = Self.small(seed: 22, churn: 0.5, malicious: 0.15)
        parameters.malice = [.lie]
        let outcome = await offThePool { [parameters] in Experiment.run(parameters) }
        #expect(outcome.lookups == 150)
        // The lies were told and followed: made-up sybils were asked and never answered.
        #expect(outcome.requestsTimedOut > 100)
        #expect(outcome.successRate >= 0.8)
        #expect(outcome.forgedAccepted == 0)
    }

    @Test func sameSeedSameRun() async {
        var parameters = Self.small(seed: 23, nodes: 120, malicious: 0.1)
        parameters.lookups = 40
        parameters.publishers = 5
        parameters.window = .seconds(3 * 60)
        let first = await offThePool { [parameters] in Experiment.run(parameters) }
        let second = await offThePool { [parameters] in Experiment.run(parameters) }
        #expect(first.latencyMilliseconds == second.latencyMilliseconds)
        #expect(first.messages == second.messages)
        #expect(first.datagrams == second.datagrams)
        #expect(first.departures == second.departures)
        #expect(first.publishMilliseconds == second.publishMilliseconds)
        parameters.seed = 24
        let other = await offThePool { [parameters] in Experiment.run(parameters) }
        #expect(other.datagrams != first.datagrams)
    }

    /// Session lengths: the Weibull fit of the IPFS DHT's sessions (median near 2 h, 80 % under 8 h).
    @Test func sessionModelMatchesItsSource() {
        let model = SessionModel(shape: 0.6, departuresPerHour: 0.18)
        #expect(abs(model.medianSeconds / 3_600 - 2.0) < 0.1)
        var random = SeededRandom(seed: 7)
        let sessions = (0..<20_000).map { _ in Double(model.session(using: &random).nanoseconds) / 3.6e12 }
        let underEight = Double(sessions.count { $0 <= 8 }) / Double(sessions.count)
        #expect(abs(underEight - 0.8) < 0.02)
        let mean = sessions.reduce(0, +) / Double(sessions.count)
        #expect(abs(mean - 1 / 0.18) < 0.4)
    }

    /// The honest model with liars, forgers and droppers: every figure is identical with 0 and 2 verifying
    /// threads (`SignatureVerdicts`; the wall time is what changes).
    @Test func aRunIsTheSameWithAnyNumberOfVerifyingThreads() async {
        var parameters = HonestSimulatorTests.small(seed: 41, nodes: 150, malicious: 0.2)
        parameters.lookups = 60
        let outcomes = await offThePool { [parameters] in
            [0, 2].map { threads in
                var parameters = parameters
                parameters.verifyingThreads = threads
                return Experiment.run(parameters)
            }
        }
        #expect(outcomes[0].lookups == 60)
        #expect(outcomes[0].datagrams > 10_000)
        #expect(outcomes[1] == outcomes[0])
    }

    /// Pair tags (decision 0124) change how a datagram is authenticated and nothing else: the same run, bit for bit,
    /// liars included (they answer tagged requests too). This is why the simulator may leave them off.
    @Test func aRunIsTheSameWithOrWithoutPairTags() async {
        var parameters = HonestSimulatorTests.small(seed: 43, nodes: 150, malicious: 0.2)
        parameters.lookups = 60
        let outcomes = await offThePool { [parameters] in
            [false, true].map { tags in
                var parameters = parameters
                parameters.config.pairTags = tags
                return Experiment.run(parameters)
            }
        }
        #expect(outcomes[0].datagramsTagged == 0)
        // Every datagram after a pair's first exchange is tagged.
        #expect(outcomes[1].datagramsTagged > outcomes[1].datagrams / 2)
        var tagged = outcomes[1]
        tagged.datagramsTagged = 0
        #expect(outcomes[0].lookups == 60 && outcomes[0].datagrams > 10_000)
        #expect(tagged == outcomes[0])
    }
}
