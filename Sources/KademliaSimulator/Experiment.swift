import Kademlia
import MeshCore

/// The DHT benchmark and the simulator tests share this: build the tables, publish agent records, look them up
/// from random live honest nodes while nodes come and go, and measure what happened.
///
/// Two models (docs/kademlia.md, "Simulator"). The honest one, the default, is `tables: .joined` with
/// `churnModel: .continuous` (`ContinuousExperiment.swift`). The old one, `tables: .oracle` with `.oneOff`, fills
/// tables from global knowledge and takes nodes offline once; it is faster and never quoted.
public struct Experiment {
    /// How routing tables are built.
    public enum Tables: String, Sendable, CaseIterable {
        /// Every node starts and joins through a bootstrap node; tables grow only from verified round trips.
        case joined
        /// `populateRoutingTables()`: up to k random nodes per bucket from global knowledge.
        case oracle
    }

    /// How nodes come and go.
    public enum ChurnModel: String, Sendable, CaseIterable {
        /// Weibull sessions (`SessionModel`), Poisson arrivals; publishing and lookups run throughout.
        case continuous
        /// `churn` of the honest nodes leave after publishing and before the lookups; `flapsPerLookup` swaps more.
        case oneOff = "one-off"
    }

    public struct Parameters: Sendable {
        /// `KademliaConfig()` with pair tags off (see `config`).
        public static var simulatedConfig: KademliaConfig {
            var config = KademliaConfig()
            config.pairTags = false
            return config
        }

        public var nodes: Int
        /// `.continuous`: the fraction of online nodes that leave per simulated hour (as many arrive).
        /// `.oneOff`: the fraction of honest nodes offline during the lookups.
        public var churn: Double
        public var malicious: Double
        public var lookups: Int
        public var seed: UInt64
        /// Agent records published before the lookups (each lookup asks for one of them).
        public var publishers = 50
        /// Lookups in flight at once.
        public var concurrency = 64
        /// Continuous churn: after each finished lookup, this many online honest nodes leave and as many offline
        /// ones come back (with whatever table they had), keeping the offline fraction at `churn`.
        public var flapsPerLookup = 0
        /// The nodes' configuration. Pair tags (decision 0124) are off unless asked for (`meshbench dht
        /// --pair-tags`): how a datagram is authenticated changes no simulated figure (the same run, bit for bit,
        /// `HonestSimulatorTests.aRunIsTheSameWithOrWithoutPairTags`), while a tag costs the simulator's one thread
        /// an X25519 agreement per pair of nodes (millions at 10,000 nodes, 1.5 × the wall time and twice the memory
        /// on December 6), and a signature is verified ahead on the other core (`SignatureVerdicts`).
        public var config = Parameters.simulatedConfig
        public var latency = LatencyModel()
        public var tables = Tables.joined
        public var churnModel = ChurnModel.continuous
        /// `.continuous`: the Weibull shape of session lengths (`SessionModel`).
        public var sessionShape = 0.6
        /// `.joined`: nodes start one after another over this span.
        public var growth: Duration = .seconds(10 * 60)
        /// `.continuous`: from the end of growth until measuring starts (joins settle, first refreshes run).
        public var settle: Duration = .seconds(5 * 60)
        /// `.continuous`: publishing, lookups and churn run over this span.
        public var window: Duration = .seconds(10 * 60)
        /// Well-known nodes that never leave; every join goes through one of them.
        public var bootstrapNodes = 4
        /// How the malicious nodes misbehave, dealt in turn.
        public var malice = Malice.allCases
        /// Threads that verify datagrams' signatures ahead of delivery (`SignatureVerdicts`): the figures are the
        /// same with any number; only the wall time changes.
        public var verifyingThreads = Simulator.defaultVerifyingThreads

        public init(nodes: Int, churn: Double, malicious: Double, lookups: Int, seed: UInt64) {
            self.nodes = nodes
            self.churn = churn
            self.malicious = malicious
            self.lookups = lookups
            self.seed = seed
        }
    }

    public struct Outcome: Sendable, Equatable {
        public var lookups = 0
        public var successes = 0
        public var hops: [Int] = []
        public var latencyMilliseconds: [Double] = []
        public var publishMilliseconds: [Double] = []
        public var messages: [Int] = []
        public var forgedAccepted = 0
        public var recordsRejected = 0
        /// `.continuous`: nodes that left and that (re)joined while measuring.
        public var departures = 0
        public var arrivals = 0
        /// Median routing-table size of online honest nodes when measuring started.
        public var medianTableSize = 0
        /// The same when measuring ended (`.continuous` only).
        public var medianTableSizeAtEnd = 0
        /// Datagrams sent into the simulated network in the whole run.
        public var datagrams = 0
        /// Datagrams sent by the end of each phase (growth, settle), for seeing where the work goes.
        public var phaseDatagrams: [Int] = []
        /// Requests honest nodes sent that were never answered (dead nodes, droppers, made-up sybils).
        public var requestsTimedOut = 0
        /// Datagrams honest nodes received with a pair tag rather than a signature (0 unless `config.pairTags`).
        public var datagramsTagged = 0
        public var successRate: Double { lookups == 0 ? 0 : Double(successes) / Double(lookups) }

        public init() {}
    }

    /// Runs the whole experiment; deterministic for given parameters.
    public static func run(_ parameters: Parameters) -> Outcome {
        switch parameters.churnModel {
        case .continuous: runContinuous(parameters)
        case .oneOff: runOneOff(parameters)
        }
    }

    /// Builds the tables as `parameters.tables` says; returns the bootstrap nodes.
    static func buildTables(_ simulator: Simulator, _ parameters: Parameters, random: inout SeededRandom) -> [Int] {
        let honest = simulator.honestIndices.filter { $0 < parameters.nodes }
        let seeds = Array(honest.prefix(max(1, parameters.bootstrapNodes)))
        switch parameters.tables {
        case .oracle:
            simulator.populateRoutingTables()
        case .joined:
            let others = (0..<parameters.nodes).filter { !seeds.contains($0) }.shuffled(using: &random)
            let order = seeds + others
            for index in simulator.nodes.indices { simulator.setOnline(index, false) }
            let spacing = parameters.growth / max(1, order.count)
            simulator.join(order, seeds: seeds, spacing: spacing, random: &random)
        }
        return seeds
    }

    /// The old model: tables first, publish, a fraction of honest nodes leaves, then the lookups.
    static func runOneOff(_ parameters: Parameters) -> Outcome {
        var random = SeededRandom(seed: parameters.seed ^ 0x5EED)
        let simulator = Simulator(
            count: parameters.nodes,
            seed: parameters.seed,
            config: parameters.config,
            latency: parameters.latency,
            maliciousFraction: parameters.malicious,
            malice: parameters.malice,
            verifyingThreads: parameters.verifyingThreads
        )
        _ = buildTables(simulator, parameters, random: &random)
        if parameters.tables == .joined { simulator.run(until: simulator.now + .seconds(30)) }
        let state = State()
        simulator.eventHandler = { node, event in state.handle(event, at: node) }

        // 1. Publish.
        let honest = simulator.honestIndices
        let publishers = Array(honest.shuffled(using: &random).prefix(parameters.publishers))
        for index in publishers {
            let did = simulator.nodes[index].signingKey.publicKey.did
            simulator.genuineDIDs[AgentRecord.key(forDID: did)] = did
            let published = simulator.interact(index) { core, now in
                Result { try core.publishAgentRecord(agentCard: Array("{\"name\":\"agent \(index)\"}".utf8), now: now) }
            }
            // A tiny card within every limit: only a misconfigured simulation (a TTL over the lifetime) is refused.
            guard case .success(let query) = published else { preconditionFailure("publish refused: \(published)") }
            state.publishing.insert(Pair(node: index, query: query))
        }
        simulator.run(while: { !state.publishing.isEmpty }, until: simulator.now + .seconds(120))
        for index in publishers {
            if let record = simulator.nodes[index].core.ownAgentRecord { state.genuine[record.key] = record }
        }

        // 2. Churn: a fraction of honest nodes leaves without a word.
        let leaving = honest.shuffled(using: &random).prefix(Int(Double(parameters.nodes) * parameters.churn))
        for index in leaving { simulator.setOnline(index, false) }
        var online = honest.filter { simulator.nodes[$0].online }
        var offline = Array(leaving)

        // 3. Look up, `concurrency` at a time.
        var started = 0
        let keys = state.genuine.keys.sorted()
        while state.outcome.lookups < parameters.lookups {
            while started < parameters.lookups && state.active.count < parameters.concurrency, !keys.isEmpty {
                let key = keys[Int.random(in: 0..<keys.count, using: &random)]
                let origin = online[Int.random(in: 0..<online.count, using: &random)]
                let query = simulator.interact(origin) { core, now in core.getRecord(key, now: now) }
                let pair = Pair(node: origin, query: query)
                state.active[pair] = key
                if let result = state.early.removeValue(forKey: pair) { state.finished(result, at: origin) }
                started += 1
            }
            let before = state.outcome.lookups
            simulator.run(while: { state.outcome.lookups == before }, until: simulator.now + .seconds(60))
            if state.outcome.lookups == before { break }  // nothing more can finish
            let busy = Set(state.active.keys.map(\.node))
            for _ in 0..<(parameters.flapsPerLookup * (state.outcome.lookups - before)) where !offline.isEmpty {
                // A node with a lookup in flight stays, so every started lookup can report.
                let leaving = Int.random(in: 0..<online.count, using: &random)
                guard !busy.contains(online[leaving]) else { continue }
                let leaver = online.remove(at: leaving)
                let returner = offline.remove(at: Int.random(in: 0..<offline.count, using: &random))
                simulator.setOnline(leaver, false)
                simulator.setOnline(returner, true)
                online.append(returner)
                offline.append(leaver)
            }
        }
        state.outcome.recordsRejected = simulator.nodes.reduce(0) {
            $0 + $1.core.counters.recordsRejected.values.reduce(0, +)
        }
        state.outcome.datagrams = simulator.datagramsDelivered + simulator.datagramsLost
        state.outcome.datagramsTagged = simulator.nodes.reduce(0) {
            $0 + ($1.malice == nil ? $1.core.counters.receivedTagged : 0)
        }
        return state.outcome
    }

    struct Pair: Hashable {
        var node: Int
        var query: QueryID
    }

    final class State {
        var outcome = Outcome()
        var publishing: Set<Pair> = []
        /// Lookups that finished inside the call that started them (the origin held the record itself).
        var early: [Pair: LookupResult] = [:]
        var genuine: [NodeID: AgentRecord] = [:]
        var active: [Pair: NodeID] = [:]

        func handle(_ event: KademliaEvent, at node: Int) {
            switch event {
            case .publishFinished(let result):
                if publishing.remove(Pair(node: node, query: result.id)) != nil {
                    outcome.publishMilliseconds.append((result.finished - result.started).milliseconds)
                }
            case .lookupFinished(let result):
                finished(result, at: node)
            default:
                break
            }
        }

        func finished(_ result: LookupResult, at node: Int) {
            guard active.removeValue(forKey: Pair(node: node, query: result.id)) != nil else {
                early[Pair(node: node, query: result.id)] = result
                return
            }
            outcome.lookups += 1
            outcome.messages.append(result.messagesSent)
            let found = result.agentRecord
            if let found, found == genuine[result.target] {
                outcome.successes += 1
                outcome.hops.append(result.hops)
                outcome.latencyMilliseconds.append((result.finished - result.started).milliseconds)
            } else if found != nil {
                outcome.forgedAccepted += 1
            }
        }
    }
}
