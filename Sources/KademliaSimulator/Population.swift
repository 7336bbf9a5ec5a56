import Kademlia
import MeshCore

extension Simulator {
    /// Fills every node's table as a long-running network would have: for each bucket, up to k random nodes
    /// from that bucket's range of the key space (found by binary search in the sorted IDs, so 10,000 nodes take
    /// seconds, not hours). `among` limits both the tables filled and the nodes they name (default: every node).
    ///
    /// This is the `--tables oracle` shortcut: real nodes cannot know the whole network, so its figures are never
    /// quoted; `join(_:seeds:spacing:random:)` builds tables the way real nodes do.
    public func populateRoutingTables(among subset: [Int]? = nil) {
        let members = subset ?? Array(nodes.indices)
        let sorted = members.map { (id: nodes[$0].core.localID, index: $0) }.sorted { $0.id < $1.id }
        let ids = sorted.map(\.id)
        let k = nodes.first?.core.config.k ?? 20
        for index in members {
            let own = nodes[index].core.localID
            for bucket in 0..<256 {
                let (low, high) = Simulator.range(of: own, bucket: bucket)
                let start = lowerBound(ids, low)
                let end = lowerBound(ids, high, inclusive: true)
                if end > start {
                    var picks = Array(start..<end)
                    if picks.count > k { picks = Array(picks.shuffled(using: &random).prefix(k)) }
                    for pick in picks {
                        nodes[index].core.adoptVerifiedContact(contact(of: sorted[pick].index), now: now)
                    }
                }
                // Once no other node shares the next prefix bit with us, deeper buckets stay empty.
                let (ownLow, ownHigh) = Simulator.range(of: own, sharing: bucket + 1)
                if lowerBound(ids, ownHigh, inclusive: true) - lowerBound(ids, ownLow) <= 1 { break }
            }
            flushAfterSetup(index)
        }
    }

    func flushAfterSetup(_ index: Int) {
        interact(index) { _, _ in () }
    }

    /// The IDs sharing exactly `bucket` leading bits with `id`: [low, high].
    static func range(of id: NodeID, bucket: Int) -> (NodeID, NodeID) {
        var flipped = id.bytes
        flipped[bucket / 8] ^= UInt8(0x80) >> UInt8(bucket % 8)
        let flippedID = try! NodeID(bytes: flipped)
        return range(of: flippedID, sharing: bucket + 1)
    }

    /// The IDs sharing the first `bits` bits with `id`: [low, high].
    static func range(of id: NodeID, sharing bits: Int) -> (NodeID, NodeID) {
        var low = id.bytes
        var high = id.bytes
        for bit in min(bits, 256)..<256 {
            let mask = UInt8(0x80) >> UInt8(bit % 8)
            low[bit / 8] &= ~mask
            high[bit / 8] |= mask
        }
        return (try! NodeID(bytes: low), try! NodeID(bytes: high))
    }

    /// The first position whose ID is >= `value` (or > `value` when `inclusive`).
    func lowerBound(_ ids: [NodeID], _ value: NodeID, inclusive: Bool = false) -> Int {
        var low = 0
        var high = ids.count
        while low < high {
            let middle = (low + high) / 2
            if ids[middle] < value || (inclusive && ids[middle] == value) { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
