import Foundation
import GRDB
import Indexer
import IndexerService
import IndexerSimulation
import Kademlia
import MeshCore
import MeshPeer
import Testing

/// The mirror on a real SQLite file: the sequence rule, expiry, restart, search, bad input and growth bounds.
@Suite struct MirrorTests {
    let now = TestRecords.start

    @Test func sequenceRuleStaleAndReplayNeverReplace() throws {
        let mirror = try Mirror(path: TestRecords.temporaryPath("m.sqlite"))
        let key = TestRecords.key(1)
        let first = try TestRecords.document(TestRecords.record(key, index: 1, sequence: 10))
        #expect(try mirror.ingest([(first, "a")], now: now) == [.inserted])
        #expect(try mirror.ingest([(first, "a")], now: now + .seconds(1)) == [.refreshed])
        // Older sequence: stale.
        let older = try TestRecords.document(TestRecords.record(key, index: 2, sequence: 9))
        #expect(try mirror.ingest([(older, "a")], now: now) == [.stale])
        // Same sequence, other bytes (a replayed slot with new content): stale.
        let replay = try TestRecords.document(TestRecords.record(key, index: 3, sequence: 10))
        #expect(try mirror.ingest([(replay, "a")], now: now) == [.stale])
        #expect(try mirror.agent(did: key.publicKey.did, now: now)?.hit.name == first.name)
        // Higher sequence: the edit replaces name, text and tags.
        let edited = try TestRecords.document(TestRecords.record(key, index: 4, sequence: 11))
        #expect(try mirror.ingest([(edited, "a")], now: now) == [.updated])
        #expect(try mirror.agent(did: key.publicKey.did, now: now)?.hit.name == edited.name)
        #expect(try mirror.search(SearchQuery(words: SearchQuery.words(in: first.name)), now: now).results.isEmpty)
        #expect(
            try mirror.search(SearchQuery(words: ["agent", "4"]), now: now).results.map(\.did) == [key.publicKey.did]
        )
    }

    /// The writer binds its hot statements through SQLite's C API (`PreparedStatement`): empty text must be bound as
    /// an empty string, not NULL (the columns are NOT NULL), and text and blobs must come back as GRDB would store them.
    @Test func emptyAndUnusualTextIsStoredExactly() throws {
        let mirror = try Mirror(path: TestRecords.temporaryPath("m.sqlite"))
        var empty = try TestRecords.document(TestRecords.record(TestRecords.key(21), index: 21))
        (empty.name, empty.description, empty.skills, empty.examples, empty.tags) = ("", "", "", "", [])
        var unusual = try TestRecords.document(TestRecords.record(TestRecords.key(22), index: 22))
        unusual.name = "nul\u{0}inside \u{1F600} é"
        unusual.description = String(repeating: "long ", count: 2_000)
        #expect(try mirror.ingest([(empty, ""), (unusual, "b")], now: now) == [.inserted, .inserted])
        let stored = try #require(try mirror.agent(did: empty.did, now: now))
        #expect(stored.hit.name == "" && stored.hit.description == "" && stored.hit.tags == [])
        #expect(stored.card == empty.card)
        #expect(stored.hit.record == Data(empty.record).base64EncodedString())
        let other = try #require(try mirror.agent(did: unusual.did, now: now))
        // Text ends at a NUL, as GRDB binds it on the mirror's other paths (the update of an agent).
        #expect(other.hit.name == "nul" && other.hit.description == unusual.description)
        #expect(other.hit.tags == unusual.tags)
        #expect(try mirror.agentCount(now: now) == 2)
    }

    @Test func expiresWithItsRecordAndSurvivesRestart() throws {
        let path = TestRecords.temporaryPath("m.sqlite")
        do {
            let mirror = try Mirror(path: path)
            let short = try TestRecords.document(TestRecords.record(TestRecords.key(2), index: 5, ttl: .seconds(30)))
            let long = try TestRecords.document(TestRecords.record(TestRecords.key(3), index: 6, ttl: .seconds(600)))
            _ = try mirror.ingest([(short, "a"), (long, "b")], now: now)
        }
        let reopened = try Mirror(path: path)
        #expect(try reopened.agentCount(now: now) == 2)
        // Past the short record's expiry it is no longer served, and the sweep deletes it.
        #expect(try reopened.search(SearchQuery(), now: now + .seconds(31)).results.count == 1)
        #expect(try reopened.expire(now: now + .seconds(31)) == 1)
        #expect(try reopened.agentCount(now: now + .seconds(31)) == 1)
    }

    @Test func searchRanksFiltersAndPages() throws {
        let mirror = try Mirror(path: TestRecords.temporaryPath("m.sqlite"))
        var batch: [(document: AgentDocument, source: String)] = []
        for index in 0..<60 {
            batch.append(
                (
                    try TestRecords.document(TestRecords.record(TestRecords.key(UInt64(100 + index)), index: index)),
                    "s\(index)"
                )
            )
        }
        #expect(try mirror.ingest(batch, now: now).allSatisfy { $0 == .inserted })
        // "weather" is topic 1: agents 1, 21, 41 have it first (in the name), others as their second topic.
        let page = try mirror.search(SearchQuery(words: ["weather"], limit: 2), now: now)
        #expect(page.results.count == 2)
        #expect(page.results.allSatisfy { $0.name.contains("weather") })
        let cursor = try #require(page.nextCursor)
        let next = try mirror.search(
            SearchQuery(words: ["weather"], limit: 2, offset: SearchCursor.decode(cursor)),
            now: now
        )
        #expect(Set(next.results.map(\.did)).isDisjoint(with: page.results.map(\.did)))
        let tagged = try mirror.search(SearchQuery(tag: "chess", limit: 100), now: now)
        #expect(!tagged.results.isEmpty && tagged.results.allSatisfy { $0.tags.contains("chess") })
        // Every result carries the signed record, which verifies on its own.
        for hit in page.results {
            let record = try RecordVerifier.verify(agentRecord: Array(Data(base64Encoded: hit.record)!), now: now)
            #expect(try AgentRecord(wireBytes: record.envelope.bytes).did == hit.did)
        }
        let counts = try mirror.tagCounts(now: now)
        #expect(counts.first(where: { $0.tag == "chess" })?.count == tagged.results.count)
    }

    @Test func hostileQueriesAreWordsOrRefused() throws {
        let mirror = try Mirror(path: TestRecords.temporaryPath("m.sqlite"))
        _ = try mirror.ingest(
            [(try TestRecords.document(TestRecords.record(TestRecords.key(9), index: 1)), "a")],
            now: now
        )
        for raw in [
            #"""#, #"a" OR "b"#, "NEAR(a b)", "name:agent", "*", "a AND", "'; DROP TABLE indexer_agent; --",
            "(((", "^agent", "agent -weather", "\u{0}", "🙂 ∑", String(repeating: "x", count: 500),
        ] {
            let query = try SearchQuery.parse(q: raw, capability: nil, tag: nil, limit: nil, cursor: nil)
            _ = try mirror.search(query, now: now)
        }
        #expect(try mirror.agentCount(now: now) == 1)
    }

    /// A new mirror file gets 8 KiB pages (decision 0115): SQLite ignores the pragma once the file has content,
    /// so this checks it came before the pool's WAL set-up and the migrations.
    @Test func aNewMirrorFileHasEightKibibytePages() throws {
        let mirror = try Mirror(path: TestRecords.temporaryPath("m.sqlite"))
        #expect(try mirror.database.read { db in try Int.fetchOne(db, sql: "PRAGMA page_size") } == 8_192)
    }

    @Test func growthIsBoundedPerSourceAndOverall() throws {
        var limits = MirrorLimits()
        limits.maximumAgentsPerSource = 3
        limits.maximumAgents = 5
        limits.maximumAgentsPerTag = 2
        let mirror = try Mirror(path: TestRecords.temporaryPath("m.sqlite"), limits: limits)
        var outcomes: [IngestOutcome] = []
        for index in 0..<5 {
            let document = try TestRecords.document(TestRecords.record(TestRecords.key(UInt64(200 + index)), index: 0))
            outcomes += try mirror.ingest([(document, "one-host")], now: now)
        }
        #expect(outcomes == [.inserted, .inserted, .inserted, .full, .full])
        for index in 5..<9 {
            let document = try TestRecords.document(TestRecords.record(TestRecords.key(UInt64(200 + index)), index: 0))
            outcomes += try mirror.ingest([(document, "host-\(index)")], now: now)
        }
        #expect(outcomes.suffix(4) == [.inserted, .inserted, .full, .full])
        #expect(try mirror.agentCount(now: now) == 5)
        // Every one of these agents has the tag "translation", but at most two are listed under it.
        #expect(try mirror.tagCounts(now: now).first(where: { $0.tag == "translation" })?.count == 2)
    }

    @Test func cardsMustCarryTheirDIDsSignature() throws {
        let key = TestRecords.key(5)
        let unsigned = try SyntheticCard.card(index: 1, did: key.publicKey.did).compact(budget: 1_100)
        let other = try AgentProfile.signedCompactCard(
            SyntheticCard.card(index: 1, did: key.publicKey.did),
            identity: AgentIdentity(signingKey: TestRecords.key(6))
        )
        for card in [unsigned, other] {
            let record = try TestRecords.record(key, index: 1, cardBytes: card)
            do {
                _ = try AgentDocument.make(from: record)
                Issue.record("a card without its DID's signature was accepted")
            } catch {
                #expect(error.code == "bad-card-signature")
            }
        }
        #expect(try AgentDocument.make(from: TestRecords.record(key, index: 1)).did == key.publicKey.did)
    }

    @Test func unlistedAgentsAreNotMirrored() throws {
        let record = try TestRecords.record(
            TestRecords.key(4),
            index: 1,
            extensions: [Exposure.unlisted.recordExtension!]
        )
        #expect(throws: DocumentRejection.unlisted) { try AgentDocument.make(from: record) }
    }
}
