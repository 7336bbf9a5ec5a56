import Kademlia
import MeshCore
import Testing

/// The DHT's side of an owner's revocation list (decision 0100): its shape, bounds, the owner's signature, its key
/// and lifetime, and newest-sequence-wins ordering. Each refusal has its own case.
@Suite struct OwnerRevocationRecordTests {
    let limits = RecordLimits(maximumLifetime: .seconds(7_200), maximumClockSkew: .seconds(120))
    let now = Fixture.start
    let owner = try! Ed25519.PrivateKey(seed: SecureBytes([UInt8](repeating: 9, count: 32)))

    func entry(_ index: UInt8, serial: UInt64 = 1) -> OwnerRevocationRecord.Entry {
        let agent = try! Ed25519.PrivateKey(seed: SecureBytes([UInt8](repeating: index, count: 32))).publicKey
        return OwnerRevocationRecord.Entry(
            agent: agent,
            serial: serial,
            revokedAtSeconds: 1_800_000_000,
            signature: try! Ed25519.Signature(rawRepresentation: [UInt8](repeating: index, count: 64))
        )
    }

    func record(
        sequence: UInt64 = 5,
        ttl: Duration = .seconds(3_600),
        entries: [OwnerRevocationRecord.Entry]? = nil
    ) throws -> OwnerRevocationRecord {
        try OwnerRevocationRecord.signed(
            by: owner,
            sequence: sequence,
            issuedAt: now,
            expiresAt: now + ttl,
            entries: entries ?? [entry(1), entry(2)]
        )
    }

    func rejection(_ bytes: [UInt8], at instant: Timestamp? = nil) -> RecordRejection.Code? {
        do {
            _ = try OwnerRevocationRecordValidator().validate(
                RecordEnvelope(type: .ownerRevocations, bytes: bytes),
                now: instant ?? now,
                limits: limits
            )
            return nil
        } catch let error as RecordRejection {
            return error.code
        } catch {
            Issue.record("not a RecordRejection: \(error)")
            return nil
        }
    }

    @Test func aListRoundTripsAndLivesUnderItsOwnersHash() throws {
        let list = try record()
        #expect(try OwnerRevocationRecord(wireBytes: list.wireBytes) == list)
        let valid = try OwnerRevocationRecordValidator().validate(list.envelope, now: now, limits: limits)
        #expect(valid.key == OwnerRevocationRecord.key(forOwner: owner.publicKey))
        #expect(valid.key != AgentRecord.key(forDID: owner.publicKey.did))
        #expect(valid.type == .ownerRevocations)
        #expect(valid.sequence == 5)
        // The fullest list is at its computed bound and fits an envelope; an empty one is valid too.
        let full = try record(entries: (1...16).map { entry(UInt8($0)) })
        #expect(full.wireBytes.count == OwnerRevocationRecord.maximumByteCount)
        #expect(OwnerRevocationRecord.maximumByteCount <= RecordEnvelope.maximumByteCount)
        #expect(rejection(full.wireBytes) == nil)
        #expect(rejection(try record(entries: []).wireBytes) == nil)
    }

    @Test func aForgedListIsRefused() throws {
        var tampered = try record()
        tampered.entries.removeFirst()
        #expect(rejection(tampered.wireBytes) == .badSignature)
        var resequenced = try record()
        resequenced.sequence += 1
        #expect(rejection(resequenced.wireBytes) == .badSignature)
        var moved = try record()
        moved.owner = try Ed25519.PrivateKey(seed: SecureBytes([UInt8](repeating: 8, count: 32))).publicKey
        #expect(rejection(moved.wireBytes) == .badSignature)
    }

    @Test func anExpiredLongLivedOrFutureListIsRefused() throws {
        #expect(rejection(try record().wireBytes, at: now + .seconds(3_601)) == .expired)
        #expect(rejection(try record(ttl: .seconds(7_201)).wireBytes) == .lifetimeTooLong)
        #expect(rejection(try record().wireBytes, at: now - .seconds(121)) == .issuedInFuture)
    }

    @Test func tooManyEntriesAreRefusedBeforeSigningAndOnTheWire() throws {
        #expect(throws: RecordRejection.self) { try record(entries: (1...17).map { entry(UInt8($0)) }) }
        // A count byte of 17 in an otherwise well-formed list.
        var bytes = try record(entries: []).wireBytes
        bytes[1 + 32 + 8 + 8 + 8] = 17
        #expect(rejection(bytes) == .oversize)
        #expect(rejection([UInt8](repeating: 0, count: OwnerRevocationRecord.maximumByteCount + 1)) == .oversize)
    }

    @Test func aCertificateListedTwiceIsRefused() throws {
        #expect(throws: RecordRejection.self) { try record(entries: [entry(1), entry(1)]) }
        // Signed by hand around the signer's check.
        var twice = try record(entries: [entry(1), entry(2)])
        twice.entries[1] = entry(1)
        twice.signature = owner.signature(for: twice.signedBytes, domain: .ownerRevocationRecord)
        #expect(rejection(twice.wireBytes) == .malformed)
        // Two serials of one agent are two certificates.
        #expect(rejection(try record(entries: [entry(1, serial: 1), entry(1, serial: 2)]).wireBytes) == nil)
    }

    @Test func aTimeOutOfRangeIsRefused() throws {
        var late = entry(1)
        late.revokedAtSeconds = 9_000_000_001
        #expect(throws: RecordRejection.self) { try record(entries: [late]) }
        var bytes = try record(entries: [entry(1)]).wireBytes
        let timeAt = 1 + 32 + 8 + 8 + 8 + 1 + 32 + 8
        for index in 0..<8 { bytes[timeAt + index] = 0x7F }
        #expect(rejection(bytes) == .malformed)
    }

    @Test func anUnknownVersionTruncationTrailingBytesOrWrongTypeAreRefused() throws {
        let whole = try record().wireBytes
        var version = whole
        version[0] = 2
        #expect(rejection(version) == .malformed)
        #expect(rejection(whole + [0]) == .malformed)
        for length in 0..<whole.count {
            #expect(rejection(Array(whole.prefix(length))) != nil)
        }
        #expect(throws: RecordRejection.self) {
            try OwnerRevocationRecordValidator().validate(
                RecordEnvelope(type: .sealed, bytes: whole),
                now: now,
                limits: limits
            )
        }
    }

    @Test func aNewerSequenceReplacesTheListAndAnOlderOneIsStale() throws {
        let store = InMemoryRecordStore()
        let validator = OwnerRevocationRecordValidator()
        let older = try validator.validate(try record(sequence: 5).envelope, now: now, limits: limits)
        let newer = try validator.validate(
            try record(sequence: 6, entries: [entry(3)]).envelope,
            now: now,
            limits: limits
        )
        try RecordStoreRules.accept(older, into: store, now: now, config: KademliaConfig())
        try RecordStoreRules.accept(newer, into: store, now: now, config: KademliaConfig())
        #expect(store.value(for: newer.key, now: now) == newer)
        #expect(throws: RecordRejection(.stale, "sequence 5 does not replace 6")) {
            try RecordStoreRules.accept(older, into: store, now: now, config: KademliaConfig())
        }
    }

    @Test func aNodePublishesTheListOnlyUnderItsKey() throws {
        let node = KademliaNode(signingKey: owner, random: SeededRandom(seed: 3), now: now)
        let list = try record()
        #expect(throws: RecordRejection.self) {
            try node.publish(list.envelope, key: NodeID(publicKey: owner.publicKey), now: now)
        }
        _ = try node.publish(list.envelope, key: list.key, now: now)
        #expect(node.store.value(for: list.key, now: now)?.type == .ownerRevocations)
    }
}
