import Kademlia
import MeshCore
import Testing

/// A value lookup returns the newest valid record among the k closest, not the first it meets (decision 0105): a
/// publisher's genuine older record, replayed by a storer near the key or pushed into the asker's own empty store,
/// must not stand in for the one it replaced. `HostileDHTProcessTests` found both with real processes.
@Suite struct StaleRecordTests {
    let publisher = Fixture.identity(7)
    let now = Fixture.start

    func record(_ sequence: UInt64) throws -> ValidatedRecord {
        let record = try AgentRecord.signed(
            by: publisher,
            sequence: sequence,
            issuedAt: now,
            ttl: .seconds(600),
            homeRelays: ["ws://relay-\(sequence).example"]
        )
        return try AgentRecordValidator().validate(
            record.envelope,
            now: now,
            limits: RecordLimits(maximumLifetime: .seconds(7_200), maximumClockSkew: .seconds(120))
        )
    }

    @Test func anOlderRecordInTheAskersOwnStoreDoesNotEndTheLookup() throws {
        let asker = Fixture.node(3)
        let storer = Fixture.node(2)
        asker.store.putValue(try record(1))
        storer.store.putValue(try record(2))
        asker.adoptVerifiedContact(Contact(id: storer.localID, address: Fixture.address(2)), now: now)
        asker.getAgentRecord(did: publisher.did, now: now)
        Fixture.exchange(asker, at: Fixture.address(3), storer, at: Fixture.address(2), now: now)
        #expect(try Self.found(asker)?.sequence == 2)
    }

    @Test func anOlderRecordFromTheClosestStorerDoesNotEndTheLookup() throws {
        var config = KademliaConfig()
        config.alpha = 1
        let asker = Fixture.node(3, config: config)
        let one = Fixture.node(4)
        let two = Fixture.node(5)
        let key = AgentRecord.key(forDID: publisher.did)
        // With α = 1 the closer storer answers first: it is the one that replays the older record.
        let (closer, farther) = key.prefers(one.localID, over: two.localID) ? (one, two) : (two, one)
        closer.store.putValue(try record(1))
        farther.store.putValue(try record(2))
        let nodes = [Fixture.address(4): one, Fixture.address(5): two]
        for (address, node) in nodes {
            asker.adoptVerifiedContact(Contact(id: node.localID, address: address), now: now)
        }
        asker.getAgentRecord(did: publisher.did, now: now)
        // Route the asker's requests to whichever node they name, and the answers back, until all are quiet.
        for _ in 0..<20 {
            var moved = false
            for transmit in asker.drainTransmits() {
                guard let node = nodes[transmit.destination] else { continue }
                node.handleDatagram(transmit.bytes, from: Fixture.address(3), now: now)
                for reply in node.drainTransmits() where reply.destination == Fixture.address(3) {
                    asker.handleDatagram(reply.bytes, from: transmit.destination, now: now)
                }
                moved = true
            }
            if !moved { break }
        }
        #expect(try Self.found(asker)?.sequence == 2)
    }

    static func found(_ node: KademliaNode) throws -> AgentRecord? {
        let results = Fixture.events(node).compactMap { event -> LookupResult? in
            if case .lookupFinished(let result) = event { return result }
            return nil
        }
        #expect(results.count == 1, "one lookup finished")
        return results.first?.agentRecord
    }
}
