import Kademlia
import MeshCore
import Testing

@testable import KademliaSimulator

/// The liars' trie walk gives exactly what sorting every colluder by XOR distance gives (decision 0116).
@Suite struct ColluderIndexTests {
    static func sorted(_ colluders: [(id: NodeID, index: Int)], to target: NodeID, count: Int, excluding: Int) -> [Int]
    {
        colluders.filter { $0.index != excluding }.sorted { target.prefers($0.id, over: $1.id) }.prefix(count)
            .map(\.index)
    }

    @Test(arguments: [0, 1, 5, 9, 40, 2_000])
    func theWalkAgreesWithASort(size: Int) throws {
        var random = SeededRandom(seed: UInt64(size) + 1)
        let colluders = (0..<size).map { (id: NodeID.hashing(random.bytes(count: 8), label: "test"), index: $0 * 3) }
        let index = ColluderIndex(colluders)
        for round in 0..<200 {
            // Random targets, and targets that are a colluder's own ID (distance 0) or one bit away from it.
            var target = NodeID.hashing(random.bytes(count: 8), label: "target")
            if !colluders.isEmpty && round % 3 != 0 {
                var bytes = colluders[round % colluders.count].id.bytes
                if round % 3 == 2 { bytes[31] ^= 1 }
                target = try NodeID(bytes: bytes)
            }
            let excluded = colluders.isEmpty ? -1 : colluders[(round * 7) % colluders.count].index
            for count in [1, 10] {
                #expect(
                    index.closest(to: target, count: count, excluding: excluded)
                        == Self.sorted(colluders, to: target, count: count, excluding: excluded)
                )
            }
        }
    }
}
