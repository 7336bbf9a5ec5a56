import Foundation
import Indexer
import IndexerService
import Kademlia
import MeshCore
import Testing

/// `Ingest` checks the mirror's version before it verifies anything: a record found again unchanged only refreshes
/// last-seen, an older or conflicting one is stale, and only a new one has its card verified (a real SQLite file).
@Suite struct IngestTests {
    let source = TransportAddress(ip: [127, 0, 0, 1], port: 4_000)!

    func finding(_ record: ValidatedRecord, did: String) -> CrawlFinding {
        CrawlFinding(did: did, record: record, source: source, seenAt: TestRecords.start)
    }

    @Test func sequenceDecidesBeforeTheCardIsVerified() async throws {
        let mirror = try Mirror(path: TestRecords.temporaryPath("ingest.sqlite"))
        let status = IndexerStatus(started: TestRecords.start)
        let ingest = Ingest(mirror: mirror, status: status)
        let key = TestRecords.key(31)
        let did = key.publicKey.did
        let now = TestRecords.start
        // A card with no A2A signature: refused whenever it is verified (bad-card-signature).
        let unsigned = Array(#"{"name":"x"}"#.utf8)

        let first = try TestRecords.record(key, index: 1, sequence: 2)
        #expect(try await ingest.ingest([finding(first, did: did)], now: now) == [.inserted])
        let later = now + .seconds(30)
        #expect(try await ingest.ingest([finding(first, did: did)], now: later) == [.refreshed])
        #expect(try mirror.agent(did: did, now: later)?.hit.lastSeenMs == later.millisecondsSinceEpoch)

        // The same sequence with other bytes and a lower sequence are stale without their (bad) cards being read.
        let conflicting = try TestRecords.record(key, index: 1, sequence: 2, cardBytes: unsigned)
        let older = try TestRecords.record(key, index: 1, sequence: 1, cardBytes: unsigned)
        #expect(
            try await ingest.ingest([finding(conflicting, did: did), finding(older, did: did)], now: later)
                == [.stale, .stale]
        )
        #expect(await status.refused.isEmpty)

        // A higher sequence is new, so its card is verified: this one is refused and the row stays as it was.
        let newer = try TestRecords.record(key, index: 1, sequence: 3, cardBytes: unsigned)
        #expect(try await ingest.ingest([finding(newer, did: did)], now: later) == [nil])
        #expect(await status.refused["bad-card-signature"] == 1)
        #expect(try mirror.agent(did: did, now: later)?.hit.sequence == 2)

        // A genuine edit replaces it.
        let edited = try TestRecords.record(key, index: 2, sequence: 4)
        #expect(try await ingest.ingest([finding(edited, did: did)], now: later) == [.updated])
        #expect(await status.ingested == ["inserted": 1, "refreshed": 1, "stale": 2, "updated": 1])
    }

    /// Many new records in one batch are verified on every core and come back in order.
    @Test func batchKeepsOrder() async throws {
        let mirror = try Mirror(path: TestRecords.temporaryPath("ingest-batch.sqlite"))
        let ingest = Ingest(mirror: mirror, status: nil)
        var findings: [CrawlFinding] = []
        for index in 0..<40 {
            let key = TestRecords.key(UInt64(100 + index))
            findings.append(finding(try TestRecords.record(key, index: index), did: key.publicKey.did))
        }
        let outcomes = try await ingest.ingest(findings, now: TestRecords.start)
        #expect(outcomes == [IngestOutcome?](repeating: .inserted, count: 40))
        for finding in findings {
            #expect(
                try mirror.agent(did: finding.did, now: TestRecords.start)?.hit.record
                    == Data(finding.record.envelope.bytes).base64EncodedString()
            )
        }
    }
}
