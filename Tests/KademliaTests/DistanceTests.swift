import Kademlia
import MeshCore
import Testing

@Suite struct DistanceTests {
    @Test func commonPrefixLengthCountsSharedLeadingBits() {
        let zero = Fixture.id([])
        #expect(zero.commonPrefixLength(with: zero) == 256)
        #expect(zero.commonPrefixLength(with: Fixture.id([0x80])) == 0)
        #expect(zero.commonPrefixLength(with: Fixture.id([0x01])) == 7)
        #expect(zero.commonPrefixLength(with: Fixture.id([0x00, 0x00, 0x20])) == 18)
    }

    @Test func prefersTheXorCloserID() {
        let target = Fixture.id([0b1010_0000])
        let near = Fixture.id([0b1010_0001])
        let far = Fixture.id([0b0010_0000])
        #expect(target.prefers(near, over: far))
        #expect(!target.prefers(far, over: near))
        #expect(!target.prefers(near, over: near))
        #expect(target.distance(to: near) == [0x01] + [UInt8](repeating: 0, count: 31))
    }

    @Test func randomIDFallsInTheRequestedBucket() {
        var random = SeededRandom(seed: 7)
        let own = Fixture.identity(1).nodeID
        for bucket in [0, 1, 7, 8, 13, 100, 255] {
            let id = own.randomID(inBucket: bucket, using: &random)
            #expect(own.commonPrefixLength(with: id) == bucket)
        }
    }

    @Test func contentKeysAreStableAndSeparated() {
        let capability = ProviderRecord.key(forCapability: "translate")
        #expect(capability == NodeID.hashing(Array("translate".utf8), label: "meshpeer/v1/capability"))
        #expect(capability != AgentRecord.key(forDID: "translate"))
        #expect(capability.hex == ProviderRecord.key(forCapability: "translate").hex)
    }
}
