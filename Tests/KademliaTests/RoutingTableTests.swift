import Kademlia
import MeshCore
import Testing

@Suite struct RoutingTableTests {
    func contact(_ first: UInt8, _ second: UInt8 = 0, ip: [UInt8]) -> Contact {
        Contact(id: Fixture.id([first, second]), address: TransportAddress(ip: ip, port: 1)!)
    }

    @Test func fullBucketsCacheAndFailuresPromoteReplacements() {
        var config = KademliaConfig()
        config.k = 2
        var table = RoutingTable(localID: Fixture.id([]), config: config)
        let t = Fixture.start
        // All in bucket 0 (first bit set).
        do {
            let outcome = table.insertVerified(contact(0x80, 1, ip: [10, 0, 0, 1]), now: t)
            #expect(outcome == .added)
        }
        do {
            let outcome = table.insertVerified(contact(0x80, 2, ip: [10, 0, 0, 2]), now: t)
            #expect(outcome == .added)
        }
        do {
            let outcome = table.insertVerified(contact(0x80, 3, ip: [10, 0, 0, 3]), now: t)
            #expect(outcome == .cached)
        }
        do {
            let outcome = table.insertVerified(contact(0x80, 1, ip: [10, 0, 0, 1]), now: t)
            #expect(outcome == .refreshed)
        }
        do {
            let outcome = table.insertVerified(Contact(id: Fixture.id([]), address: Fixture.address(1)), now: t)
            #expect(outcome == .rejectedSelf)
        }
        #expect(table.count == 2)
        do {
            let evicted = table.recordFailure(Fixture.id([0x80, 2]))
            #expect(!evicted)
        }
        do {
            let evicted = table.recordFailure(Fixture.id([0x80, 2]))
            #expect(evicted)
        }
        #expect(table.contains(Fixture.id([0x80, 3])))
        #expect(!table.contains(Fixture.id([0x80, 2])))
        #expect(table.count == 2)
        #expect(table.closest(to: Fixture.id([0x80, 3]), limit: 1).map(\.id) == [Fixture.id([0x80, 3])])
    }

    @Test func diversityLimitsApplyToPublicAddresses() {
        var config = KademliaConfig()
        config.maximumPerPrefixPerBucket = 2
        config.maximumPerPrefixInTable = 3
        var table = RoutingTable(localID: Fixture.id([]), config: config)
        let t = Fixture.start
        let sameSlash24: [UInt8] = [8, 8, 8]
        do {
            let outcome = table.insertVerified(contact(0x80, 1, ip: sameSlash24 + [1]), now: t)
            #expect(outcome == .added)
        }
        do {
            let outcome = table.insertVerified(contact(0x80, 2, ip: sameSlash24 + [2]), now: t)
            #expect(outcome == .added)
        }
        do {
            let outcome = table.insertVerified(contact(0x81, 3, ip: sameSlash24 + [3]), now: t)
            #expect(outcome == .rejectedDiversity)
        }
        do {
            let outcome = table.insertVerified(contact(0x40, 4, ip: sameSlash24 + [4]), now: t)
            #expect(outcome == .added)
        }
        do {
            let outcome = table.insertVerified(contact(0x20, 5, ip: sameSlash24 + [5]), now: t)
            #expect(outcome == .rejectedDiversity)
        }
        // Loopback is exempt by default, and not when configured otherwise.
        do {
            let outcome = table.insertVerified(contact(0x81, 6, ip: [127, 0, 0, 6]), now: t)
            #expect(outcome == .added)
        }
        config.exemptLocalAddressesFromDiversity = false
        var strict = RoutingTable(localID: Fixture.id([]), config: config)
        for index in 1...2 as ClosedRange<UInt8> {
            do {
                let outcome = strict.insertVerified(contact(0x80, index, ip: [127, 0, 0, index]), now: t)
                #expect(outcome == .added)
            }
        }
        do {
            let outcome = strict.insertVerified(contact(0x80, 3, ip: [127, 0, 0, 3]), now: t)
            #expect(outcome == .rejectedDiversity)
        }
    }

    @Test func staleBucketsAreListedForRefresh() {
        var table = RoutingTable(localID: Fixture.id([]), config: KademliaConfig(), now: Fixture.start)
        table.insertVerified(contact(0x10, ip: [10, 0, 0, 1]), now: Fixture.start + .seconds(100))
        // Bucket 3 was touched at +100 s; buckets 0-2 date from the start.
        #expect(table.bucketsNeedingRefresh(now: Fixture.start + .seconds(900), interval: .seconds(900)) == [0, 1, 2])
    }
}
