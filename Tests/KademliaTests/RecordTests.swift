import Kademlia
import MeshCore
import Testing

@Suite struct RecordTests {
    let limits = RecordLimits(maximumLifetime: .seconds(7200), maximumClockSkew: .seconds(120))
    let now = Fixture.start

    /// A small fixture record, within every limit (signing cannot refuse it).
    func agentRecord(_ seed: UInt64 = 1, sequence: UInt64 = 5, ttl: Duration = .seconds(600)) -> AgentRecord {
        try! AgentRecord.signed(
            by: Fixture.identity(seed),
            sequence: sequence,
            issuedAt: now,
            ttl: ttl,
            agentCard: Array("{\"name\":\"echo\"}".utf8),
            homeRelays: ["wss://relay.example/a"],
            addressHints: [[127, 0, 0, 1]],
            prekeyBundle: [1, 2, 3]
        )
    }

    @Test func agentRecordRoundTripsAndValidates() throws {
        let record = agentRecord()
        #expect(try AgentRecord(wireBytes: record.wireBytes) == record)
        let valid = try AgentRecordValidator().validate(record.envelope, now: now, limits: limits)
        #expect(valid.key == AgentRecord.key(forDID: Fixture.identity(1).did))
        #expect(valid.sequence == 5)
        #expect(valid.publisher == Fixture.identity(1).nodeID)
        #expect(valid.expiresAt == now + .seconds(600))
    }

    func rejection(_ envelope: RecordEnvelope, at instant: Timestamp? = nil) -> RecordRejection.Code? {
        do {
            _ = try AgentRecordValidator().validate(envelope, now: instant ?? now, limits: limits)
            return nil
        } catch let error as RecordRejection {
            return error.code
        } catch {
            return .malformed
        }
    }

    @Test func forgedExpiredAndOversizeRecordsAreRejected() {
        // Claims agent 1's DID, signed by agent 2.
        var forged = agentRecord(2)
        forged.did = Fixture.identity(1).did
        #expect(rejection(forged.envelope) == .badSignature)
        // Any field changed after signing.
        var edited = agentRecord()
        edited.sequence += 1
        #expect(rejection(edited.envelope) == .badSignature)
        #expect(rejection(agentRecord().envelope, at: now + .seconds(601)) == .expired)
        #expect(rejection(agentRecord(ttl: .seconds(7201)).envelope) == .lifetimeTooLong)
        #expect(rejection(agentRecord().envelope, at: now - .seconds(121)) == .issuedInFuture)
        var big = agentRecord()
        big.agentCard = [UInt8](repeating: 0x20, count: AgentRecord.maximumCardBytes + 1)
        #expect(rejection(big.envelope) == .oversize)
        #expect(rejection(RecordEnvelope(type: .agent, bytes: [1, 2, 3])) == .malformed)
        var notADID = agentRecord()
        notADID.did = "did:web:example.com"
        #expect(rejection(notADID.envelope) == .malformed)
    }

    @Test func providerEntriesAreSignedByTheirProvider() throws {
        let key = ProviderRecord.key(forCapability: "summarise")
        let entry = ProviderRecord.signed(
            by: Fixture.identity(3),
            key: key,
            sequence: 1,
            issuedAt: now,
            ttl: .seconds(60),
            hints: [9]
        )
        #expect(try ProviderRecord(wireBytes: entry.wireBytes) == entry)
        let valid = try ProviderRecordValidator().validate(entry.envelope, now: now, limits: limits)
        #expect(valid.key == key)
        #expect(valid.publisher == Fixture.identity(3).nodeID)
        var claimed = entry
        claimed.provider = Fixture.identity(4).publicKey
        #expect(throws: RecordRejection(.badSignature, "provider entry is not signed by \(claimed.providerDID)")) {
            try ProviderRecordValidator().validate(claimed.envelope, now: now, limits: limits)
        }
    }

    @Test func newestSequenceWinsAndStaleIsRefused() throws {
        let store = InMemoryRecordStore()
        let config = KademliaConfig()
        let validator = AgentRecordValidator()
        let old = try validator.validate(agentRecord(sequence: 5).envelope, now: now, limits: limits)
        let new = try validator.validate(agentRecord(sequence: 6).envelope, now: now, limits: limits)
        try RecordStoreRules.accept(old, into: store, now: now, config: config)
        try RecordStoreRules.accept(new, into: store, now: now, config: config)
        #expect(store.value(for: new.key, now: now)?.sequence == 6)
        #expect(throws: RecordRejection.self) {
            try RecordStoreRules.accept(old, into: store, now: now, config: config)
        }
        // The same record again is a harmless refresh.
        try RecordStoreRules.accept(new, into: store, now: now, config: config)
        #expect(store.removeExpired(now: now + .seconds(600)) == 1)
        #expect(store.value(for: new.key, now: now) == nil)
    }

    @Test func providersPerKeyAreBounded() throws {
        var config = KademliaConfig()
        config.maximumProvidersPerKey = 3
        let store = InMemoryRecordStore()
        let key = ProviderRecord.key(forCapability: "x")
        var outcomes: [Bool] = []
        for seed in 1...5 as ClosedRange<UInt64> {
            let entry = ProviderRecord.signed(
                by: Fixture.identity(seed),
                key: key,
                sequence: 1,
                issuedAt: now,
                ttl: .seconds(60)
            )
            let valid = try ProviderRecordValidator().validate(entry.envelope, now: now, limits: limits)
            outcomes.append((try? RecordStoreRules.accept(valid, into: store, now: now, config: config)) != nil)
        }
        #expect(outcomes == [true, true, true, false, false])
        #expect(store.providers(for: key, now: now, limit: 10).count == 3)
        #expect(store.providers(for: key, now: now + .seconds(60), limit: 10).isEmpty)
    }
}
