import MeshCore
import Synchronization
import Testing

@testable import Kademlia

/// A value lookup hears three quarters of the k closest, and the honest ones answer with the same record: a copy
/// byte for byte the record the lookup already validated gets that verdict again without another Ed25519
/// verification, while any other bytes (a newer sequence, a forgery) are validated as before.
@Suite struct RepeatedRecordTests {
    let now = Fixture.start

    /// The agent validator, counting the records it is given.
    struct CountingValidator: RecordValidator {
        // A class box, so that the node's copy of the validator and the test's share the count.
        final class Box: Sendable {
            let calls = Mutex(0)
        }
        let box = Box()
        var type: RecordType { .agent }

        func validate(_ envelope: RecordEnvelope, now: Timestamp, limits: RecordLimits) throws -> ValidatedRecord {
            box.calls.withLock { $0 += 1 }
            return try AgentRecordValidator().validate(envelope, now: now, limits: limits)
        }

        var count: Int { box.calls.withLock { $0 } }
    }

    func validated(_ record: AgentRecord) throws -> ValidatedRecord {
        try AgentRecordValidator().validate(
            record.envelope,
            now: now,
            limits: RecordLimits(maximumLifetime: .seconds(7_200), maximumClockSkew: .seconds(120))
        )
    }

    /// Four storers answer the asker with `copies[i]`; returns what the lookup found and how many validations ran.
    func lookUp(_ copies: [AgentRecord], did: String) throws -> (found: LookupResult?, validations: Int) {
        let counter = CountingValidator()
        let asker = KademliaNode(
            signingKey: Fixture.identity(50).signingKey,
            random: SeededRandom(seed: 50),
            validators: [counter],
            now: now
        )
        let askerAddress = Fixture.address(50)
        var storers: [(node: KademliaNode, address: TransportAddress)] = []
        for (index, copy) in copies.enumerated() {
            let node = Fixture.node(UInt64(60 + index))
            node.store.putValue(try validated(copy))
            storers.append((node, Fixture.address(UInt8(60 + index))))
            asker.adoptVerifiedContact(Contact(id: node.localID, address: storers[index].address), now: now)
        }
        asker.getAgentRecord(did: did, now: now)
        // Every datagram goes to the node at its destination (bounded: the lookup has four peers to hear).
        var answered = Set<Int>()
        for _ in 0..<8 {
            var moved = 0
            for transmit in asker.drainTransmits() {
                guard let index = storers.firstIndex(where: { $0.address == transmit.destination }) else { continue }
                storers[index].node.handleDatagram(transmit.bytes, from: askerAddress, now: now)
                moved += 1
            }
            for (index, storer) in storers.enumerated() {
                for transmit in storer.node.drainTransmits() where transmit.destination == askerAddress {
                    asker.handleDatagram(transmit.bytes, from: storer.address, now: now)
                    answered.insert(index)
                    moved += 1
                }
            }
            if moved == 0 { break }
        }
        #expect(answered.count == copies.count, "every storer answered")
        // Storers may name peers this wiring never reaches; their requests time out.
        asker.handleTimeout(now: now + asker.config.requestTimeout)
        let found = Fixture.events(asker).compactMap { event -> LookupResult? in
            if case .lookupFinished(let result) = event { return result }
            return nil
        }
        #expect(found.count == 1)
        return (found.first, counter.count)
    }

    @Test func identicalCopiesAreValidatedOnce() throws {
        let identity = Fixture.identity(7)
        let record = try AgentRecord.signed(by: identity, sequence: 5, issuedAt: now, ttl: .seconds(600))
        let (found, validations) = try lookUp(Array(repeating: record, count: 4), did: identity.did)
        #expect(found?.agentRecord == record)
        #expect(validations == 1, "four identical answers, one verification")
    }

    @Test func otherBytesAreStillValidatedAndTheHighestSequenceWins() throws {
        let identity = Fixture.identity(7)
        let old = try AgentRecord.signed(by: identity, sequence: 5, issuedAt: now, ttl: .seconds(600))
        let new = try AgentRecord.signed(by: identity, sequence: 6, issuedAt: now, ttl: .seconds(600))
        let (found, validations) = try lookUp([old, old, new, new], did: identity.did)
        #expect(found?.agentRecord == new)
        // Each distinct byte string is validated at least once; never all four unless the order made every copy new.
        #expect(validations >= 2 && validations <= 3)
    }
}
