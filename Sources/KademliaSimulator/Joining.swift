import Kademlia
import MeshCore

extension Simulator {
    /// Builds every table the way real nodes build theirs (`--tables joined`): the nodes start one after another,
    /// `spacing` apart, and each joins through one of the `seeds` (a random one other than itself) with the core's
    /// own `bootstrap`: a ping, then a lookup of its own ID; contacts enter only after a verified round trip. Bucket
    /// refreshes, republishing and everything else then happen on the cores' own timers as the clock runs on. The
    /// first seed starts alone.
    ///
    /// Returns when the last node has started; callers run the clock on for the joins to finish.
    public func join(_ order: [Int], seeds: [Int], spacing: Duration, random: inout SeededRandom) {
        for (position, index) in order.enumerated() {
            if position > 0 { run(until: now + spacing) }
            startAndJoin(index, seeds: seeds, random: &random)
        }
    }

    /// Starts node `index`'s process now and joins it through a random seed (not itself); a seed with no other
    /// seed online starts alone.
    public func startAndJoin(_ index: Int, seeds: [Int], random: inout SeededRandom) {
        setOnline(index, true)
        restart(index)
        rejoin(index, seeds: seeds, random: &random)
    }

    /// A node that comes back with the table and records it kept (a restart that restores its saved state) joins
    /// again through a seed: the same `bootstrap`, whose self-lookup then starts from its old contacts as well.
    public func rejoin(_ index: Int, seeds: [Int], random: inout SeededRandom) {
        setOnline(index, true)
        let others = seeds.filter { $0 != index && nodes[$0].online && nodes[$0].core.routingTable.count > 0 }
        let fallback = seeds.filter { $0 != index && nodes[$0].online }
        guard let seed = (others.isEmpty ? fallback : others).randomElement(using: &random) else { return }
        let address = nodes[seed].address
        interact(index) { core, now in core.bootstrap(from: [address], now: now) }
    }
}
