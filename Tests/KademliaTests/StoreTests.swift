import Foundation
import Kademlia
import KademliaStore
import MeshCore
import TestSupport
import Testing

@Suite struct StoreTests {
    let now = Fixture.start
    let limits = RecordLimits(maximumLifetime: .seconds(7200), maximumClockSkew: .seconds(120))

    func temporaryPath() -> String {
        TestDirectory.make("kad-store").appendingPathComponent("dht.sqlite").path
    }

    /// The store re-verifies exactly the types a node validates (a type the node has no validator for, like
    /// `relayAdvert` today, never reaches a store).
    @Test func everyRecordTypeIsReverifiedOnLoad() {
        let node = Fixture.node(1)
        let validated = RecordType.allCases.filter { type in
            do {
                _ = try node.validate(RecordEnvelope(type: type, bytes: []), now: now)
                return true
            } catch let rejection as RecordRejection {
                return rejection.code != .unknownType
            } catch {
                return true
            }
        }
        #expect(Set(SQLiteRecordStore.defaultValidators.map(\.type)) == Set(validated))
    }

    @Test func recordsAndContactsSurviveReopening() async throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let agent = try AgentRecord.signed(by: Fixture.identity(1), sequence: 3, issuedAt: now, ttl: .seconds(60))
        let valid = try AgentRecordValidator().validate(agent.envelope, now: now, limits: limits)
        let key = ProviderRecord.key(forCapability: "translate")
        let providers = try (2...4 as ClosedRange<UInt64>).map { seed in
            let entry = ProviderRecord.signed(
                by: Fixture.identity(seed),
                key: key,
                sequence: seed,
                issuedAt: now,
                ttl: .seconds(30)
            )
            return try ProviderRecordValidator().validate(entry.envelope, now: now, limits: limits)
        }
        let contacts = [
            Contact(id: Fixture.id([1]), address: Fixture.address(1)),
            Contact(
                id: Fixture.id([2]),
                address: TransportAddress(ip: [UInt8](repeating: 0, count: 15) + [1], port: 7)!
            ),
        ]
        do {
            let store = try SQLiteRecordStore(path: path, now: now)
            try RecordStoreRules.accept(valid, into: store, now: now, config: KademliaConfig())
            for provider in providers {
                try RecordStoreRules.accept(provider, into: store, now: now, config: KademliaConfig())
            }
            try store.saveContacts(contacts, now: now)
            // Records are written behind the memory copy; the node flushes at shutdown.
            await store.flush()
            #expect(store.health == RecordStoreHealth())
        }
        let reopened = try SQLiteRecordStore(path: path, now: now)
        #expect(reopened.health.loaded == 4)
        #expect(reopened.health.rejectedOnLoad == 0)
        #expect(reopened.value(for: valid.key, now: now) == valid)
        #expect(reopened.valueCount == 1)
        #expect(reopened.providerCount(for: key) == 3)
        #expect(reopened.providerKeyCount == 1)
        #expect(reopened.providers(for: key, now: now, limit: 2).map(\.sequence) == [4, 3])
        #expect(reopened.provider(providers[0].publisher, for: key) == providers[0])
        #expect(Set(try reopened.loadContacts()) == Set(contacts))
        // The same ordering rules apply: an older record is refused.
        let older = try AgentRecordValidator().validate(
            try AgentRecord.signed(by: Fixture.identity(1), sequence: 2, issuedAt: now, ttl: .seconds(60)).envelope,
            now: now,
            limits: limits
        )
        #expect(throws: RecordRejection.self) {
            try RecordStoreRules.accept(older, into: reopened, now: now, config: KademliaConfig())
        }
        #expect(reopened.removeExpired(now: now + .seconds(30)) == 3)
        #expect(reopened.removeExpired(now: now + .seconds(60)) == 1)
        #expect(reopened.value(for: valid.key, now: now) == nil)
        // The removals reached the file too: reopened at `now`, when all four would still verify, none is there.
        await reopened.flush()
        let again = try SQLiteRecordStore(path: path, now: now)
        #expect(again.valueCount == 0 && again.providerKeyCount == 0)
        #expect(again.health.loaded == 0 && again.health.rejectedOnLoad == 0)
    }
}
