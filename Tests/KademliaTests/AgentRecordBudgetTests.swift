import Kademlia
import MeshCore
import Testing

/// Agent record version 2: the budget adds up, the version byte and the extensions behave, and publishing an
/// invalid record is an error (decision 0072).
@Suite struct AgentRecordBudgetTests {
    let limits = RecordLimits(maximumLifetime: .seconds(7200), maximumClockSkew: .seconds(120))
    let now = Fixture.start

    /// Every field at its maximum, with a real DID (so it validates).
    func largestRecord(_ seed: UInt64 = 1) throws -> AgentRecord {
        try AgentRecord.signed(
            by: Fixture.identity(seed),
            sequence: .max,
            issuedAt: now,
            ttl: .seconds(600),
            agentCard: [UInt8](repeating: 0x61, count: AgentRecord.maximumCardBytes),
            homeRelays: (0..<AgentRecord.maximumRelays).map { index in
                String(repeating: Character(String(index)), count: AgentRecord.maximumRelayBytes)
            },
            addressHints: [[UInt8]](
                repeating: [UInt8](repeating: 7, count: AgentRecord.maximumHintBytes),
                count: AgentRecord.maximumHints
            ),
            prekeyBundle: [UInt8](repeating: 1, count: AgentRecord.maximumPrekeyBundleBytes),
            extensions: largestExtensions()
        )
    }

    /// `maximumExtensions` extensions whose sizes add up to exactly `maximumExtensionBytes`.
    func largestExtensions() -> [RecordExtension] {
        let count = AgentRecord.maximumExtensions
        let share = AgentRecord.maximumExtensionBytes / count - 4
        var items = (0..<count).map {
            RecordExtension(type: UInt16($0 + 1), value: [UInt8](repeating: 9, count: share))
        }
        items[count - 1].value += [UInt8](repeating: 9, count: AgentRecord.maximumExtensionBytes % count)
        return items
    }

    @Test func theLargestRecordFitsTheEnvelopeAndAStoreDatagram() throws {
        #expect(AgentRecord.maximumEncodedByteCount <= RecordEnvelope.maximumByteCount)
        var record = try largestRecord()
        #expect(record.extensions.reduce(0) { $0 + $1.byteCount } == AgentRecord.maximumExtensionBytes)
        // The validator accepts it.
        let valid = try AgentRecordValidator().validate(record.envelope, now: now, limits: limits)
        #expect(valid.key == AgentRecord.key(forDID: Fixture.identity(1).did))
        #expect(try AgentRecord(wireBytes: record.wireBytes) == record)
        // With the DID stretched to the decoder's limit too, the bytes are exactly the computed maximum.
        let realDIDBytes = record.did.utf8.count
        record.did += String(repeating: "x", count: AgentRecord.maximumDIDBytes - realDIDBytes)
        #expect(record.wireBytes.count == AgentRecord.maximumEncodedByteCount)
        // A STORE of the largest envelope, with a full write token, fits one datagram, as the node sends it.
        let store = SignedMessage.signed(
            .store(
                token: [UInt8](repeating: 0xAB, count: WriteTokens.byteCount),
                record: RecordEnvelope(
                    type: .agent,
                    bytes: [UInt8](repeating: 0, count: RecordEnvelope.maximumByteCount)
                )
            ),
            transactionID: .max,
            by: Fixture.identity(1).signingKey,
            now: now
        )
        #expect(store.datagram().count <= KademliaConfig().maximumDatagram)
    }

    @Test func theLargestRecordIsPublishedAndStored() throws {
        let a = Fixture.node(1)
        let b = Fixture.node(2)
        let addressA = Fixture.address(1)
        let addressB = Fixture.address(2)
        a.bootstrap(from: [addressB], now: now)
        Fixture.exchange(a, at: addressA, b, at: addressB, now: now)
        let largest = try largestRecord()
        try a.publishAgentRecord(
            agentCard: largest.agentCard,
            homeRelays: largest.homeRelays,
            addressHints: largest.addressHints,
            prekeyBundle: largest.prekeyBundle,
            extensions: largest.extensions,
            now: now
        )
        Fixture.exchange(a, at: addressA, b, at: addressB, now: now)
        let published = Fixture.events(a).compactMap { event -> PublishResult? in
            if case .publishFinished(let result) = event { return result }
            return nil
        }
        #expect(published.map(\.accepted) == [1])
        let stored = try #require(b.store.value(for: AgentRecord.key(forDID: a.did), now: now))
        #expect(try AgentRecord(wireBytes: stored.envelope.bytes).extensions == largest.extensions)
    }

    @Test func anUnknownVersionIsRefusedByName() throws {
        var bytes = try largestRecord().wireBytes
        bytes[0] = 1
        #expect(
            throws: WireError(
                .unsupportedVersion,
                at: 0,
                "agent record version 1; this build reads version 2"
            )
        ) { try AgentRecord(wireBytes: bytes) }
        let rejection = #expect(throws: RecordRejection.self) {
            try AgentRecordValidator().validate(RecordEnvelope(type: .agent, bytes: bytes), now: now, limits: limits)
        }
        #expect(rejection?.code == .malformed)
        #expect(rejection?.reason.contains("version 1") == true)
    }

    @Test func unknownExtensionsAreKeptSignedAndForwarded() throws {
        let unknown = RecordExtension(type: 0xBEEF, value: Array("from the future".utf8))
        let record = try AgentRecord.signed(
            by: Fixture.identity(3),
            sequence: 1,
            issuedAt: now,
            ttl: .seconds(60),
            extensions: [
                RecordExtension(type: RecordExtension.knockPolicy, value: [1, 2, 3, 4, 5, 6, 7, 8, 20]), unknown,
            ]
        )
        let decoded = try AgentRecord(wireBytes: record.wireBytes)
        #expect(decoded.extensionValue(ofType: 0xBEEF) == unknown.value)
        #expect(decoded.extensionValue(ofType: RecordExtension.knockPolicy)?.count == 9)
        _ = try AgentRecordValidator().validate(record.envelope, now: now, limits: limits)
        // The signature covers them: changing one byte of an unknown extension breaks it.
        var edited = record
        edited.extensions[1].value[0] ^= 1
        let rejection = #expect(throws: RecordRejection.self) {
            try AgentRecordValidator().validate(edited.envelope, now: now, limits: limits)
        }
        #expect(rejection?.code == .badSignature)
    }

    @Test func extensionsOutOfBoundsOrOrderAreRefusedBeforeSigning() throws {
        func refusal(_ extensions: [RecordExtension]) -> RecordRejection? {
            do {
                _ = try AgentRecord.signed(
                    by: Fixture.identity(1),
                    sequence: 1,
                    issuedAt: now,
                    ttl: .seconds(60),
                    extensions: extensions
                )
                return nil
            } catch {
                return error as? RecordRejection
            }
        }
        let many = (0...AgentRecord.maximumExtensions).map { RecordExtension(type: UInt16($0), value: []) }
        #expect(refusal(many) == RecordRejection(.oversize, "extensions is 9 extensions; at most 8"))
        let big = [RecordExtension(type: 1, value: [UInt8](repeating: 0, count: AgentRecord.maximumExtensionBytes))]
        #expect(refusal(big) == RecordRejection(.oversize, "extensions is 324 bytes; at most 320"))
        let unordered = [RecordExtension(type: 2, value: []), RecordExtension(type: 2, value: [])]
        #expect(refusal(unordered)?.code == .malformed)
        // The decoder refuses the same order on the wire.
        var record = try AgentRecord.signed(
            by: Fixture.identity(1),
            sequence: 1,
            issuedAt: now,
            ttl: .seconds(60),
            extensions: [RecordExtension(type: 1, value: []), RecordExtension(type: 2, value: [])]
        )
        record.extensions[1].type = 1
        #expect(throws: WireError.self) { try AgentRecord(wireBytes: record.wireBytes) }
    }

    @Test func publishingAnInvalidRecordThrowsAndSendsNothing() throws {
        let a = Fixture.node(1)
        a.adoptVerifiedContact(Contact(id: Fixture.node(2).localID, address: Fixture.address(2)), now: now)
        _ = a.drainTransmits()
        let oversize = [UInt8](repeating: 0x20, count: AgentRecord.maximumCardBytes + 1)
        #expect(throws: RecordRejection(.oversize, "agentCard is 1101 bytes; at most 1100")) {
            try a.publishAgentRecord(agentCard: oversize, now: now)
        }
        #expect(
            throws: RecordRejection(.oversize, "prekeyBundle is 770 bytes; at most 192"),
            "the bundle with 20 one-time prekeys that issue 11 found"
        ) {
            try a.publishAgentRecord(agentCard: [], prekeyBundle: [UInt8](repeating: 1, count: 770), now: now)
        }
        #expect(a.drainTransmits().isEmpty)
        #expect(a.ownAgentRecord == nil)
        // A TTL the node's own validator refuses is an error too, not a record that every storer drops.
        var config = KademliaConfig()
        config.recordTTL = config.maximumRecordLifetime + .seconds(1)
        let misconfigured = Fixture.node(3, config: config)
        let rejection = #expect(throws: RecordRejection.self) {
            try misconfigured.publishAgentRecord(agentCard: [], now: now)
        }
        #expect(rejection?.code == .lifetimeTooLong)
        #expect(misconfigured.ownAgentRecord == nil)
    }
}
