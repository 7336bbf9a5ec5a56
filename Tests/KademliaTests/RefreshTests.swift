import Kademlia
import MeshCore
import Testing

/// Bucket refresh spends a lookup only where one can find something: one self-lookup for the neighbourhood, a
/// random-ID lookup for a shallow bucket with room, and a ping for a full bucket's silent contact.
@Suite struct RefreshTests {
    @Test func refreshUsesOneSelfLookupForTheNeighbourhoodAndPingsFullBuckets() throws {
        var config = KademliaConfig()
        config.k = 4
        config.alpha = 1
        let node = Fixture.node(1, config: config)
        var random = SeededRandom(seed: 9)
        var last: UInt8 = 1
        func adopt(inBucket index: Int, count: Int) {
            for _ in 0..<count {
                last += 1
                let id = node.localID.randomID(inBucket: index, using: &random)
                node.adoptVerifiedContact(Contact(id: id, address: Fixture.address(last)), now: Fixture.start)
            }
        }
        for full in [0, 2, 3, 4, 5] { adopt(inBucket: full, count: 4) }
        adopt(inBucket: 1, count: 2)  // room, shallower than the neighbourhood
        for deep in 6..<10 { adopt(inBucket: deep, count: 1) }  // the k closest: the neighbourhood starts at 6
        _ = node.drainTransmits()

        let later = Fixture.start + .seconds(16 * 60)
        node.handleTimeout(now: later)
        var findNodeTargets: [NodeID] = []
        var pings = 0
        for transmit in node.drainTransmits() {
            let message = try DHTDatagram.decode(transmit.bytes, maximumSize: 4_096).message
            switch message {
            case .findNode(let target): findNodeTargets.append(target)
            case .ping: pings += 1
            default: Issue.record("unexpected \(message)")
            }
        }
        // Two lookups (α = 1: one request each): our own ID for buckets 6-9, a random ID in bucket 1. Buckets 0 and
        // 2-5 are full, so the stalest contact of each, silent for 16 minutes, is pinged instead.
        #expect(findNodeTargets.count == 2)
        #expect(findNodeTargets.contains(node.localID))
        #expect(findNodeTargets.contains { node.localID.commonPrefixLength(with: $0) == 1 })
        #expect(pings == 5)

        // Everything was touched: nothing is stale again until another interval has passed.
        #expect(
            node.routingTable.bucketsNeedingRefresh(now: later + .seconds(60), interval: config.bucketRefreshInterval)
                .isEmpty
        )
    }
}
