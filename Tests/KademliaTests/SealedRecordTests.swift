import Kademlia
import MeshCore
import Testing

/// The DHT's side of private records (decision 0082): it checks a sealed record's shape, its slot key's signature,
/// its key and its lifetime, and orders by sequence, without reading it.
@Suite struct SealedRecordTests {
    let limits = RecordLimits(maximumLifetime: .seconds(7_200), maximumClockSkew: .seconds(120))
    let now = Fixture.start
    let slot = try! Ed25519.PrivateKey(seed: SecureBytes([UInt8](repeating: 7, count: 32)))

    func sealed(
        sequence: UInt64 = 5,
        ttl: Duration = .seconds(600),
        ciphertext: [UInt8] = [UInt8](repeating: 0xAB, count: 512),
        by signer: Ed25519.PrivateKey? = nil
    ) throws -> SealedRecord {
        try SealedRecord.signed(
            by: signer ?? slot,
            sequence: sequence,
            issuedAt: now,
            expiresAt: now + ttl,
            nonce: [UInt8](repeating: 1, count: SealedRecord.nonceByteCount),
            ciphertext: ciphertext
        )
    }

    func rejection(_ envelope: RecordEnvelope, at instant: Timestamp? = nil) -> RecordRejection.Code? {
        do {
            _ = try SealedRecordValidator().validate(envelope, now: instant ?? now, limits: limits)
            return nil
        } catch let error as RecordRejection {
            return error.code
        } catch {
            return .malformed
        }
    }

    @Test func aSealedRecordRoundTripsAndLivesUnderItsSlotKeysHash() throws {
        let record = try sealed()
        #expect(try SealedRecord(wireBytes: record.wireBytes) == record)
        let valid = try SealedRecordValidator().validate(record.envelope, now: now, limits: limits)
        #expect(valid.key == SealedRecord.key(forSlot: slot.publicKey))
        #expect(valid.key != AgentRecord.key(forDID: slot.publicKey.did))
        #expect(valid.type == .sealed)
        #expect(valid.sequence == 5)
        #expect(valid.expiresAt == now + .seconds(600))
        // The largest ciphertext fits the envelope exactly; an empty one (a tombstone) is valid too.
        let largest = try sealed(ciphertext: [UInt8](repeating: 0, count: SealedRecord.maximumCiphertextBytes))
        #expect(largest.wireBytes.count == RecordEnvelope.maximumByteCount)
        #expect(rejection(largest.envelope) == nil)
        #expect(rejection(try sealed(ciphertext: []).envelope) == nil)
    }

    @Test func forgedTamperedOversizeAndExpiredSealedRecordsAreRefused() throws {
        var tampered = try sealed()
        tampered.ciphertext[0] ^= 1
        #expect(rejection(tampered.envelope) == .badSignature)
        var moved = try sealed()
        moved.slotKey = try Ed25519.PrivateKey(seed: SecureBytes([UInt8](repeating: 8, count: 32))).publicKey
        #expect(rejection(moved.envelope) == .badSignature)
        var resequenced = try sealed()
        resequenced.sequence += 1
        #expect(rejection(resequenced.envelope) == .badSignature)
        #expect(rejection(try sealed().envelope, at: now + .seconds(601)) == .expired)
        #expect(rejection(try sealed(ttl: .seconds(7_201)).envelope) == .lifetimeTooLong)
        #expect(rejection(try sealed().envelope, at: now - .seconds(121)) == .issuedInFuture)
        #expect(throws: RecordRejection.self) {
            try sealed(ciphertext: [UInt8](repeating: 0, count: SealedRecord.maximumCiphertextBytes + 1))
        }
        var bytes = try sealed().wireBytes
        bytes[0] = 2
        #expect(rejection(RecordEnvelope(type: .sealed, bytes: bytes)) == .malformed)
        #expect(rejection(RecordEnvelope(type: .sealed, bytes: [1, 2, 3])) == .malformed)
        #expect(rejection(RecordEnvelope(type: .sealed, bytes: try sealed().wireBytes + [0])) == .malformed)
        // Every truncation is refused, none traps.
        let whole = try sealed().wireBytes
        for length in 0..<whole.count {
            #expect(rejection(RecordEnvelope(type: .sealed, bytes: Array(whole.prefix(length)))) != nil)
        }
        // An agent record's validator does not take a sealed record, nor the other way round.
        #expect(throws: RecordRejection.self) {
            try AgentRecordValidator().validate(try sealed().envelope, now: now, limits: limits)
        }
    }

    @Test func aNodeStoresSealedRecordsNewestFirstAndServesThem() throws {
        let storer = Fixture.node(1)
        let publisher = Fixture.node(2)
        let (a, b) = (Fixture.address(1), Fixture.address(2))
        publisher.bootstrap(from: [a], now: now)
        Fixture.exchange(publisher, at: b, storer, at: a, now: now)
        let newer = try sealed(sequence: 9)
        try publisher.publish(newer.envelope, key: newer.key, now: now)
        Fixture.exchange(publisher, at: b, storer, at: a, now: now)
        #expect(storer.store.value(for: newer.key, now: now)?.envelope == newer.envelope)
        // An older sequence (a replayed copy) does not replace it; a newer one (a tombstone) does.
        #expect(throws: RecordRejection.self) {
            try RecordStoreRules.accept(
                try SealedRecordValidator().validate(try sealed(sequence: 8).envelope, now: now, limits: limits),
                into: storer.store,
                now: now,
                config: KademliaConfig()
            )
        }
        let tombstone = try sealed(sequence: 10, ciphertext: [])
        try RecordStoreRules.accept(
            try SealedRecordValidator().validate(tombstone.envelope, now: now, limits: limits),
            into: storer.store,
            now: now,
            config: KademliaConfig()
        )
        #expect(storer.store.value(for: newer.key, now: now)?.sequence == 10)
        // Published under a key it does not live under: refused before anything is sent.
        #expect(throws: RecordRejection.self) {
            try publisher.publish(newer.envelope, key: AgentRecord.key(forDID: slot.publicKey.did), now: now)
        }
    }
}
