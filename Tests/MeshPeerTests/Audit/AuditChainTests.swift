import MeshCore
import Testing

@testable import MeshPeer

/// The audit chain, without a database: every kind of tampering is found and named.
@Suite struct AuditChainTests {
    let start = Timestamp(secondsSinceEpoch: 1_800_000_000)
    let identity: AgentIdentity = {
        var random = SeededRandom(seed: 11)
        return AgentIdentity.generate(using: &random)
    }()
    var verifier: AuditVerifier { AuditVerifier(node: identity.publicKey) }

    func log(_ count: Int, from head: (UInt64, [UInt8])? = nil) -> [AuditEntry] {
        var entries: [AuditEntry] = []
        var last = head ?? (0, AuditChain.genesis(for: identity.publicKey))
        for index in 0..<count {
            let record = AuditEntry.Record(
                kind: index % 2 == 0 ? .messageSent : .knockReceived,
                peer: "did:key:z6Mkpeer\(index)",
                intent: "chat.message",
                size: 100 + index,
                path: "relay",
                detail: ["n": "\(index)"]
            )
            let entry = AuditEntry.next(record, after: last, at: start + .seconds(Int64(index)))
            entries.append(entry)
            last = (entry.sequence, entry.hash)
        }
        return entries
    }

    @Test func anUntouchedLogVerifies() {
        let report = verifier.verify(log(10), checkpoint: nil)
        #expect(report == AuditVerifier.Report(ok: true, entries: 10, firstBadSequence: nil, reason: nil))
        #expect(verifier.verify([], checkpoint: nil).ok)
    }

    @Test func theSameFactsGiveTheSameHash() {
        #expect(log(3).map(\.hash) == log(3).map(\.hash))
        var other = log(3)
        other[1].record.detail["n"] = "x"
        #expect(!AuditChain.isSelfConsistent(other[1]))
    }

    @Test func anEditedEntryIsNamed() {
        for field in 0..<5 {
            var entries = log(6)
            switch field {
            case 0: entries[3].record.peer = "did:key:z6Mkother"
            case 1: entries[3].record.size = 1
            case 2: entries[3].record.detail["body"] = "injected"
            case 3: entries[3].at = entries[3].at + .seconds(1)
            default: entries[3].record.kind = .knockDecided
            }
            let report = verifier.verify(entries, checkpoint: nil)
            #expect(!report.ok)
            #expect(report.firstBadSequence == 4, "field \(field)")
            #expect(report.reason?.contains("edited") == true)
        }
    }

    @Test func anEditedAndRehashedEntryIsNamedByTheNextOne() {
        var entries = log(6)
        entries[2].record.intent = "task.request"
        entries[2].hash = AuditChain.hash(
            sequence: entries[2].sequence,
            at: entries[2].at,
            record: entries[2].record,
            previousHash: entries[2].previousHash
        )
        let report = verifier.verify(entries, checkpoint: nil)
        #expect(report.firstBadSequence == 3)
        #expect(report.reason == "entry 3 was edited: entry 4 no longer links to it")
    }

    @Test func reorderedEntriesAreNamed() {
        var entries = log(6)
        // Swap the rows' sequence numbers (what `UPDATE ... SET seq` would do) and read back in sequence order.
        (entries[2].sequence, entries[3].sequence) = (entries[3].sequence, entries[2].sequence)
        entries.swapAt(2, 3)
        let report = verifier.verify(entries, checkpoint: nil)
        #expect(report.firstBadSequence == 3)
        #expect(report.reason == "entry 3 was moved: it follows entry 4 in the chain")
    }

    @Test func aDeletedEntryIsNamed() {
        var entries = log(6)
        entries.remove(at: 2)
        let report = verifier.verify(entries, checkpoint: nil)
        #expect(report.firstBadSequence == 3)
        #expect(report.reason == "entry 3 is missing (deleted)")
        entries.remove(at: 2)
        #expect(verifier.verify(entries, checkpoint: nil).reason == "entries 3 to 4 are missing (deleted)")
    }

    @Test func aDuplicatedEntryIsNamed() {
        var entries = log(4)
        entries.insert(entries[1], at: 2)
        let report = verifier.verify(entries, checkpoint: nil)
        #expect(report.firstBadSequence == 2)
        #expect(report.reason == "entry 2 appears twice or out of order")
    }

    @Test func aHeadCutWithoutACheckpointIsFound() {
        let entries = Array(log(8).dropFirst(3))
        let report = verifier.verify(entries, checkpoint: nil)
        #expect(report.firstBadSequence == 1)
        #expect(report.reason == "entries 1 to 3 are missing: the head was cut without a signed checkpoint")
    }

    @Test func aSignedCheckpointKeepsATrimmedLogVerifiable() {
        let full = log(8)
        let checkpoint = AuditCheckpoint.signed(
            sequence: full[2].sequence,
            hash: full[2].hash,
            at: start,
            trimmedTotal: 3,
            by: identity
        )
        #expect(verifier.verify(Array(full.dropFirst(3)), checkpoint: checkpoint).ok)
        // Cutting more than the checkpoint covers is still found.
        let report = verifier.verify(Array(full.dropFirst(5)), checkpoint: checkpoint)
        #expect(report.firstBadSequence == 4)
        #expect(report.reason == "entries 4 to 5 are missing (deleted)")
    }

    @Test func aForgedCheckpointIsRefused() {
        let full = log(8)
        let kept = Array(full.dropFirst(3))
        var random = SeededRandom(seed: 99)
        let stranger = AgentIdentity.generate(using: &random)
        let forged = AuditCheckpoint.signed(
            sequence: 3,
            hash: full[2].hash,
            at: start,
            trimmedTotal: 3,
            by: stranger
        )
        let report = verifier.verify(kept, checkpoint: forged)
        #expect(!report.ok)
        #expect(report.reason == "the checkpoint is not signed by this node (forged or edited)")
        // A genuine checkpoint with an edited field no longer verifies either.
        var edited = AuditCheckpoint.signed(sequence: 3, hash: full[2].hash, at: start, trimmedTotal: 3, by: identity)
        edited.sequence = 5
        #expect(!verifier.verify(Array(full.dropFirst(5)), checkpoint: edited).ok)
        // And a checkpoint whose hash is not the trimmed entry's breaks the first kept link.
        let wrongHash = AuditCheckpoint.signed(
            sequence: 3,
            hash: full[0].hash,
            at: start,
            trimmedTotal: 3,
            by: identity
        )
        let broken = verifier.verify(kept, checkpoint: wrongHash)
        #expect(broken.firstBadSequence == 4)
        #expect(broken.reason == "entry 4 does not link to the checkpoint or genesis")
    }

    @Test func anotherNodesLogDoesNotVerifyAsOurs() {
        var random = SeededRandom(seed: 5)
        let other = AgentIdentity.generate(using: &random)
        let report = AuditVerifier(node: other.publicKey).verify(log(3), checkpoint: nil)
        #expect(!report.ok)
        #expect(report.firstBadSequence == 1)
    }

    @Test func checkpointsRoundTripAndBadBytesAreErrors() throws {
        let checkpoint = AuditCheckpoint.signed(
            sequence: 9,
            hash: log(1)[0].hash,
            at: start,
            trimmedTotal: 9,
            by: identity
        )
        #expect(try AuditCheckpoint(decoding: checkpoint.encoded()) == checkpoint)
        let bytes = checkpoint.encoded()
        for cut in 0..<bytes.count {
            #expect(throws: (any Error).self) { try AuditCheckpoint(decoding: Array(bytes.prefix(cut))) }
        }
        #expect(throws: (any Error).self) { try AuditCheckpoint(decoding: bytes + [0]) }
        var badVersion = bytes
        badVersion[0] = 2
        #expect(throws: (any Error).self) { try AuditCheckpoint(decoding: badVersion) }
    }

    @Test func oversizeFieldsAreCutBeforeHashing() {
        let record = AuditEntry.Record(
            kind: .messageReceived,
            peer: String(repeating: "p", count: 10_000),
            intent: String(repeating: "é", count: 1_000),
            detail: Dictionary(uniqueKeysWithValues: (0..<100).map { ("k\($0)", "v") })
        )
        let entry = AuditEntry.next(record, after: (0, AuditChain.genesis(for: identity.publicKey)), at: start)
        #expect(entry.record.peer?.utf8.count == AuditLimits.peerBytes)
        #expect((entry.record.intent?.utf8.count ?? 0) <= AuditLimits.intentBytes)
        #expect(entry.record.detail.count == AuditLimits.detailPairs)
        #expect(AuditChain.isSelfConsistent(entry))
        // A row read back beyond the limits (written by something else) never verifies, and never traps.
        var tampered = entry
        tampered.record.peer = String(repeating: "p", count: 70_000)
        #expect(!AuditChain.isSelfConsistent(tampered))
    }

    @Test func retentionCutsByCountAndAgeAndKeepsTheNewest() {
        let retention = AuditRetention(maximumEntries: 5, maximumAge: .seconds(60))
        #expect(retention.trimThrough(oldest: 1, newest: 5, lastTooOld: nil) == nil)
        #expect(retention.trimThrough(oldest: 1, newest: 8, lastTooOld: nil) == 3)
        #expect(retention.trimThrough(oldest: 1, newest: 8, lastTooOld: 6) == 6)
        #expect(retention.trimThrough(oldest: 1, newest: 8, lastTooOld: 8) == 7, "the newest entry always stays")
        #expect(retention.trimThrough(oldest: 4, newest: 8, lastTooOld: 2) == nil)
    }
}
