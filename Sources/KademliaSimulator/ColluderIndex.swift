import Kademlia
import MeshCore

/// The malicious nodes in ID order, so a liar finds the colluders closest to a target by walking the binary trie
/// the sorted IDs form (the nearer half first at each bit) instead of sorting every colluder for every request:
/// with a fifth of 10,000 nodes lying, that sort was a fifth of the simulator's thread (decision 0116). The answer
/// is the same list, in the same order, as sorting by XOR distance and taking the first `count`.
struct ColluderIndex {
    private let entries: [(id: NodeID, index: Int)]

    init(_ colluders: [(id: NodeID, index: Int)]) {
        entries = colluders.sorted { $0.id < $1.id }
    }

    /// Up to `count` node indices, nearest to `target` first, leaving out `excluded`.
    func closest(to target: NodeID, count: Int, excluding excluded: Int) -> [Int] {
        var found: [Int] = []
        found.reserveCapacity(count)
        collect(entries.indices, bit: 0, target: target, count: count, excluded: excluded, into: &found)
        return found
    }

    /// `range` holds the IDs that share their first `bit` bits with `target`, in ID order; the ones whose next bit
    /// matches the target's are all nearer than the others.
    private func collect(
        _ range: Range<Int>,
        bit: Int,
        target: NodeID,
        count: Int,
        excluded: Int,
        into found: inout [Int]
    ) {
        guard found.count < count, !range.isEmpty else { return }
        if range.count <= 8 || bit == NodeID.byteCount * 8 {
            let near = entries[range].filter { $0.index != excluded }.sorted { target.prefers($0.id, over: $1.id) }
            found += near.prefix(count - found.count).map(\.index)
            return
        }
        // The first entry of the range whose `bit` is set (the range is sorted, and agrees on the bits before it).
        var low = range.lowerBound
        var high = range.upperBound
        while low < high {
            let middle = (low + high) / 2
            if Self.bit(bit, of: entries[middle].id) == 0 { low = middle + 1 } else { high = middle }
        }
        let zeros = range.lowerBound..<low
        let ones = low..<range.upperBound
        let (nearer, farther) = Self.bit(bit, of: target) == 0 ? (zeros, ones) : (ones, zeros)
        collect(nearer, bit: bit + 1, target: target, count: count, excluded: excluded, into: &found)
        collect(farther, bit: bit + 1, target: target, count: count, excluded: excluded, into: &found)
    }

    private static func bit(_ position: Int, of id: NodeID) -> UInt8 {
        id.bytes[position >> 3] >> (7 - UInt8(position & 7)) & 1
    }
}
