import Kademlia
import MeshCore

/// The honest model (`churnModel: .continuous`): nodes keep leaving and arriving while agents publish and look up.
///
/// 1. Tables: every node starts and joins through a bootstrap node (`tables: .joined`), spread over `growth`.
/// 2. `settle` passes: joins finish, early refreshes run, nothing is measured.
/// 3. The window: churn starts from a steady state (online nodes leave after a length-biased residual session,
///    newcomers after a full `SessionModel` session; arrivals are Poisson at the same rate, each a node that left
///    earlier and comes back with its saved table, or one that has never run); `publishers` honest nodes publish
///    their agent records in the first minute and the cores republish every `republishInterval`; `lookups` start at
///    uniform random instants of the window, each from a random online honest node, for the record of a random
///    publisher that is online and has published.
///
/// Bootstrap and malicious nodes never leave. A node with a measured lookup in flight leaves once it has finished
/// (at most `lookupTimeout` later), so every lookup reports.
extension Experiment {
    enum Happening {
        case depart(Int)
        case arrive
        case publish(Int)
        case lookup
    }

    static func runContinuous(_ parameters: Parameters) -> Outcome {
        var random = SeededRandom(seed: parameters.seed ^ 0x5EED)
        let sessions =
            parameters.churn > 0
            ? SessionModel(shape: parameters.sessionShape, departuresPerHour: parameters.churn) : nil
        var outcome = Outcome()
        let windowHours = Double(parameters.window.nanoseconds) / 3.6e12
        let expectedArrivals = parameters.churn * Double(parameters.nodes) * windowHours
        let spares = sessions == nil ? 0 : Int(expectedArrivals * 1.5) + 10
        let simulator = Simulator(
            count: parameters.nodes + spares,
            seed: parameters.seed,
            config: parameters.config,
            latency: parameters.latency,
            maliciousFraction: parameters.malicious,
            malice: parameters.malice,
            verifyingThreads: parameters.verifyingThreads
        )
        for index in parameters.nodes..<simulator.nodes.count { simulator.setOnline(index, false) }
        let seeds: [Int]
        if parameters.tables == .oracle {
            let honest = simulator.honestIndices.filter { $0 < parameters.nodes }
            seeds = Array(honest.prefix(max(1, parameters.bootstrapNodes)))
            simulator.populateRoutingTables(among: Array(0..<parameters.nodes))
        } else {
            seeds = buildTables(simulator, parameters, random: &random)
        }
        outcome.phaseDatagrams.append(simulator.datagramsDelivered + simulator.datagramsLost)
        simulator.run(until: simulator.now + parameters.settle)
        outcome.phaseDatagrams.append(simulator.datagramsDelivered + simulator.datagramsLost)

        let start = simulator.now
        let end = start + parameters.window
        let state = ContinuousState(start: start)
        simulator.eventHandler = { node, event in state.handle(event, at: node, simulator: simulator) }
        let isSeed = Set(seeds)
        var online = NodePool()
        var offline = NodePool()
        for index in simulator.nodes.indices where simulator.nodes[index].malice == nil && !isSeed.contains(index) {
            if simulator.nodes[index].online { online.insert(index) } else { offline.insert(index) }
        }
        let sizes = online.items.map { simulator.nodes[$0].core.routingTable.count }.sorted()
        outcome.medianTableSize = sizes.isEmpty ? 0 : sizes[sizes.count / 2]

        var happenings = EventQueue<Happening>()
        func schedule(_ happening: Happening, at instant: Timestamp) {
            guard instant < end else { return }
            happenings.push(happening, at: instant.nanosecondsSinceEpoch)
        }
        if let sessions {
            for index in online.items { schedule(.depart(index), at: start + sessions.residual(using: &random)) }
            let meanGap = 3_600 / (parameters.churn * Double(online.count))
            var instant = start
            while instant < end {
                instant = instant + .nanoseconds(Int64(SessionModel.exponential(mean: meanGap, using: &random) * 1e9))
                schedule(.arrive, at: instant)
            }
        }
        let publishers = Array(online.items.shuffled(using: &random).prefix(parameters.publishers))
        state.publishers = Set(publishers)
        for index in publishers {
            schedule(.publish(index), at: start + .milliseconds(Int64.random(in: 0..<60_000, using: &random)))
        }
        let windowNanoseconds = parameters.window.nanoseconds
        for _ in 0..<parameters.lookups {
            let offset = Int64.random(in: 60_000_000_000..<max(60_000_000_001, windowNanoseconds), using: &random)
            schedule(.lookup, at: start + .nanoseconds(offset))
        }

        while let entry = happenings.pop() {
            simulator.run(until: Timestamp(nanosecondsSinceEpoch: entry.time))
            switch entry.payload {
            case .depart(let index):
                guard simulator.nodes[index].online else { continue }
                if state.active.keys.contains(where: { $0.node == index }) {
                    schedule(.depart(index), at: simulator.now + parameters.config.lookupTimeout)
                    continue
                }
                simulator.setOnline(index, false)
                online.remove(index)
                offline.insert(index)
                state.targets.remove(index)
                outcome.departures += 1
            case .arrive:
                guard let index = offline.random(using: &random), let sessions else { continue }
                offline.remove(index)
                online.insert(index)
                if simulator.nodes[index].core.routingTable.count == 0 && simulator.nodes[index].core.counters.sent == 0
                {
                    simulator.startAndJoin(index, seeds: seeds, random: &random)
                } else {
                    simulator.rejoin(index, seeds: seeds, random: &random)
                }
                outcome.arrivals += 1
                schedule(.depart(index), at: simulator.now + sessions.session(using: &random))
            case .publish(let index):
                guard simulator.nodes[index].online else { continue }
                let card = Array("{\"name\":\"agent \(index)\"}".utf8)
                let published = simulator.interact(index) { core, now in
                    Result { try core.publishAgentRecord(agentCard: card, now: now) }
                }
                // A tiny card within every limit: only a misconfigured simulation (a TTL over the lifetime) is refused.
                guard case .success = published else { preconditionFailure("publish refused: \(published)") }
            case .lookup:
                let targets = state.targets.sorted()
                guard !targets.isEmpty else { continue }
                let target = targets[Int.random(in: 0..<targets.count, using: &random)]
                var origin = target
                for _ in 0..<16 where origin == target || simulator.nodes[origin].core.routingTable.count == 0 {
                    origin = online.random(using: &random) ?? target
                }
                guard origin != target else { continue }
                let key = AgentRecord.key(forDID: simulator.nodes[target].core.did)
                let query = simulator.interact(origin) { core, now in core.getRecord(key, now: now) }
                let pair = Pair(node: origin, query: query)
                state.active[pair] = target
                if let result = state.early.removeValue(forKey: pair) { state.finished(result, at: origin, simulator) }
            }
        }
        simulator.run(while: { !state.active.isEmpty }, until: simulator.now + parameters.config.lookupTimeout * 2)
        outcome.lookups = state.outcome.lookups
        outcome.successes = state.outcome.successes
        outcome.hops = state.outcome.hops
        outcome.latencyMilliseconds = state.outcome.latencyMilliseconds
        outcome.publishMilliseconds = state.outcome.publishMilliseconds
        outcome.messages = state.outcome.messages
        outcome.forgedAccepted = state.outcome.forgedAccepted
        outcome.recordsRejected = simulator.nodes.reduce(0) {
            $0 + $1.core.counters.recordsRejected.values.reduce(0, +)
        }
        let endSizes = online.items.map { simulator.nodes[$0].core.routingTable.count }.sorted()
        outcome.medianTableSizeAtEnd = endSizes.isEmpty ? 0 : endSizes[endSizes.count / 2]
        outcome.datagrams = simulator.datagramsDelivered + simulator.datagramsLost
        outcome.requestsTimedOut = simulator.nodes.reduce(0) {
            $0 + ($1.malice == nil ? $1.core.counters.requestsTimedOut : 0)
        }
        outcome.datagramsTagged = simulator.nodes.reduce(0) {
            $0 + ($1.malice == nil ? $1.core.counters.receivedTagged : 0)
        }
        return outcome
    }

    /// What the continuous run tracks while it goes.
    final class ContinuousState {
        let start: Timestamp
        var outcome = Outcome()
        var publishers: Set<Int> = []
        /// Publishers that are online and whose record some publish has placed: what lookups ask for.
        var targets: Set<Int> = []
        var active: [Pair: Int] = [:]
        var early: [Pair: LookupResult] = [:]

        init(start: Timestamp) { self.start = start }

        func handle(_ event: KademliaEvent, at node: Int, simulator: Simulator) {
            switch event {
            case .publishFinished(let result):
                guard publishers.contains(node), result.type == .agent else { return }
                outcome.publishMilliseconds.append((result.finished - result.started).milliseconds)
                if simulator.nodes[node].online { targets.insert(node) }
            case .lookupFinished(let result):
                finished(result, at: node, simulator)
            default:
                break
            }
        }

        func finished(_ result: LookupResult, at node: Int, _ simulator: Simulator) {
            let pair = Pair(node: node, query: result.id)
            guard let target = active.removeValue(forKey: pair) else {
                early[pair] = result
                return
            }
            outcome.lookups += 1
            outcome.messages.append(result.messagesSent)
            guard let found = result.agentRecord else { return }
            // Only the publisher's key can sign a record that its DID names and that validated; a record that
            // names anyone else is a forgery that got through.
            if found.did == simulator.nodes[target].core.did {
                outcome.successes += 1
                outcome.hops.append(result.hops)
                outcome.latencyMilliseconds.append((result.finished - result.started).milliseconds)
            } else {
                outcome.forgedAccepted += 1
            }
        }
    }
}

/// A set of node indices with O(1) insert, remove and uniform pick.
struct NodePool {
    private(set) var items: [Int] = []
    private var positions: [Int: Int] = [:]

    var count: Int { items.count }

    mutating func insert(_ index: Int) {
        guard positions[index] == nil else { return }
        positions[index] = items.count
        items.append(index)
    }

    mutating func remove(_ index: Int) {
        guard let position = positions.removeValue(forKey: index) else { return }
        let last = items.removeLast()
        if position < items.count {
            items[position] = last
            positions[last] = position
        }
    }

    func random(using random: inout SeededRandom) -> Int? {
        items.isEmpty ? nil : items[Int.random(in: 0..<items.count, using: &random)]
    }
}
