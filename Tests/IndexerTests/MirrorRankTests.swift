import Foundation
import GRDB
import Indexer
import IndexerService
import IndexerSimulation
import MeshCore
import Testing

/// `mirror_bm25`, the search's ranking, gives FTS5's own `bm25` scores on a real SQLite file (to the bit for two
/// phrases or more; divided by the IDF, the same order, for one): with the row lengths it keeps in memory, after
/// edits and deletions, for a reader still on an older snapshot (which gets FTS5's lengths), and after a write
/// that rolled back.
@Suite struct MirrorRankTests {
    let now = TestRecords.start
    static let weights = "10.0, 4.0, 3.0, 3.0, 1.0"

    func mirror(agents: Int = 60) throws -> Mirror {
        let mirror = try Mirror(path: TestRecords.temporaryPath("rank.sqlite"))
        var batch: [(document: AgentDocument, source: String)] = []
        for number in 0..<agents {
            let key = TestRecords.key(UInt64(1_000 + number))
            batch.append((try TestRecords.document(TestRecords.record(key, index: number)), "s\(number)"))
        }
        #expect(try mirror.ingest(batch, now: now).allSatisfy { $0 == .inserted })
        return mirror
    }

    /// Every matching row's `mirror_bm25` at `generation` (nil: the one the read sees) next to FTS5's `bm25`.
    static func scores(_ db: Database, match: String, generation: Int64? = nil) throws -> [(Double, Double)] {
        let seen =
            try generation ?? Int64.fetchOne(db, sql: "SELECT value FROM indexer_counter WHERE name = 'generation'")!
        return try Row.fetchAll(
            db,
            sql: """
                SELECT mirror_bm25(indexer_fts, ?, \(weights)) AS ours, bm25(indexer_fts, \(weights)) AS fts5
                FROM indexer_fts WHERE indexer_fts MATCH ?
                """,
            arguments: [seen, match]
        ).map { ($0["ours"], $0["fts5"]) }
    }

    static let matches = [#""weather"*"#, #""trans"*"#, #""agent"* "4"*"#, #""plan"* "agent"*"#, #""everything"*"#]

    /// Two or more phrases: FTS5's scores to the bit. One phrase: FTS5's scores divided by the phrase's IDF (the
    /// same factor for every row, so the same order), to within a rounding.
    static func expectEqualScores(_ db: Database, generation: Int64? = nil) throws {
        for match in matches {
            let scores = try scores(db, match: match, generation: generation)
            #expect(!scores.isEmpty, "\(match)")
            if match.contains(" ") {
                for (ours, fts5) in scores { #expect(ours == fts5, "\(match): \(ours) against \(fts5)") }
            } else {
                let idf = scores[0].1 / scores[0].0
                #expect(idf > 0)
                for (ours, fts5) in scores {
                    #expect(abs(ours * idf - fts5) <= 1e-12 * abs(fts5), "\(match): \(ours) × \(idf) against \(fts5)")
                }
                let byOurs = scores.indices.sorted { (scores[$0].0, $0) < (scores[$1].0, $1) }
                let byFTS5 = scores.indices.sorted { (scores[$0].1, $0) < (scores[$1].1, $1) }
                #expect(byOurs == byFTS5, "\(match)")
            }
        }
    }

    @Test func sameScoresAsFTS5() async throws {
        let mirror = try mirror()
        try await mirror.database.read { db in try Self.expectEqualScores(db) }
        // An older generation than the file's: the lengths in memory are not used, FTS5's are; same scores.
        try await mirror.database.read { db in try Self.expectEqualScores(db, generation: -5) }
    }

    @Test func editsAndDeletionsKeepTheScoresExact() async throws {
        let mirror = try mirror()
        // Longer and shorter texts under the same DIDs (higher sequences), then one agent removed.
        var edits: [(document: AgentDocument, source: String)] = []
        for number in [3, 8, 21] {
            let key = TestRecords.key(UInt64(1_000 + number))
            var card = SyntheticCard.card(index: number, did: key.publicKey.did)
            // 140 one-letter words: a row longer than 127 tokens, whose length FTS5 stores in a two-byte varint.
            card.description = number == 8 ? "short" : "weather plan " + String(repeating: "a ", count: 140)
            edits.append(
                (try TestRecords.document(TestRecords.record(key, index: number, sequence: 2, card: card)), "s")
            )
        }
        #expect(try mirror.ingest(edits, now: now + .seconds(1)) == [.updated, .updated, .updated])
        #expect(try mirror.remove(did: TestRecords.key(1_005).publicKey.did, ifOlderThan: 9))
        try await mirror.database.read { db in try Self.expectEqualScores(db) }
    }

    @Test func aReaderOnAnOlderSnapshotGetsItsOwnLengths() async throws {
        let mirror = try mirror()
        let snapshot = try mirror.database.makeSnapshot()
        let key = TestRecords.key(1_010)
        var card = SyntheticCard.card(index: 10, did: key.publicKey.did)
        card.description = String(repeating: "weather trans ", count: 30)
        let edited = try TestRecords.document(TestRecords.record(key, index: 10, sequence: 2, card: card))
        #expect(try mirror.ingest([(edited, "s")], now: now + .seconds(1)) == [.updated])
        // The snapshot still sees the old row; asked with its own generation, it is ranked with its own lengths.
        try await snapshot.read { db in try Self.expectEqualScores(db) }
        try await mirror.database.read { db in try Self.expectEqualScores(db) }
    }

    /// Two `Mirror`s on one file (as two processes would be): each one's writes are foreign to the other, whose
    /// queries then use FTS5's lengths, and whose next write reloads its lengths from the file.
    @Test func anotherWriterOnTheSameFileIsNoticed() async throws {
        let path = TestRecords.temporaryPath("shared.sqlite")
        let first = try Mirror(path: path)
        var batch: [(document: AgentDocument, source: String)] = []
        for number in 0..<40 {
            let key = TestRecords.key(UInt64(1_100 + number))
            batch.append((try TestRecords.document(TestRecords.record(key, index: number)), "s\(number)"))
        }
        #expect(try first.ingest(batch, now: now).allSatisfy { $0 == .inserted })
        let second = try Mirror(path: path)
        let key = TestRecords.key(1_104)
        var card = SyntheticCard.card(index: 4, did: key.publicKey.did)
        card.description = "weather plan " + String(repeating: "b ", count: 60)
        let edited = try TestRecords.document(TestRecords.record(key, index: 4, sequence: 2, card: card))
        #expect(try second.ingest([(edited, "s")], now: now + .seconds(1)) == [.updated])
        try await first.database.read { db in try Self.expectEqualScores(db) }
        // The first mirror writes again: it reloads the lengths the other one changed, and stays exact.
        let other = TestRecords.key(1_106)
        var shorter = SyntheticCard.card(index: 6, did: other.publicKey.did)
        shorter.description = "trans"
        let short = try TestRecords.document(TestRecords.record(other, index: 6, sequence: 2, card: shorter))
        #expect(try first.ingest([(short, "s")], now: now + .seconds(2)) == [.updated])
        try await first.database.read { db in try Self.expectEqualScores(db) }
        try await second.database.read { db in try Self.expectEqualScores(db) }
    }

    /// The expiry sweep runs every 5 s: one that deletes nothing leaves the generation (and the file) alone.
    @Test func anIdleSweepRaisesNothing() throws {
        let mirror = try mirror(agents: 3)
        let sql = "SELECT value FROM indexer_counter WHERE name = 'generation'"
        let before = try mirror.database.read { db in try Int64.fetchOne(db, sql: sql) }
        #expect(try mirror.expire(now: now) == 0)
        #expect(try mirror.remove(did: "did:key:nobody", ifOlderThan: 5) == false)
        #expect(try mirror.database.read { db in try Int64.fetchOne(db, sql: sql) } == before)
        #expect(try mirror.expire(now: now + .seconds(3_600)) == 3)
        #expect(try mirror.database.read { db in try Int64.fetchOne(db, sql: sql) } != before)
    }

    @Test func aRolledBackWriteLeavesNothingBehind() async throws {
        let mirror = try mirror()
        let key = TestRecords.key(1_020)
        var card = SyntheticCard.card(index: 20, did: key.publicKey.did)
        card.description = String(repeating: "plan ", count: 40)
        let edited = try TestRecords.document(TestRecords.record(key, index: 20, sequence: 2, card: card))
        struct Abort: Error {}
        // The edit is written inside a transaction that then fails: FTS5 rolls back, and so must the lengths.
        #expect(throws: Abort.self) {
            try mirror.database.write { db in
                _ = try mirror.ingest([(edited, "s")], now: now, db: db)
                throw Abort()
            }
        }
        try await mirror.database.read { db in try Self.expectEqualScores(db) }
        #expect(try mirror.ingest([(edited, "s")], now: now + .seconds(1)) == [.updated])
        try await mirror.database.read { db in try Self.expectEqualScores(db) }
    }
}

/// A query that is one word twice is searched as the word once (`SearchQuery.matchExpression`), with the same
/// order as FTS5's ranking of the repeated words as written.
@Suite struct RepeatedWordTests {
    @Test func oneWordTwiceRanksAsWritten() async throws {
        let mirror = try MirrorRankTests().mirror(agents: 80)
        #expect(SearchQuery(words: ["trans", "trans"]).matchExpression == #""trans"*"#)
        #expect(SearchQuery(words: ["trans", "trans", "plan"]).matchExpression == #""trans"* "trans"* "plan"*"#)
        try await mirror.database.write { db in try db.execute(sql: "UPDATE indexer_agent SET last_seen_ms = 0") }
        let asWritten = try await mirror.database.read { db in
            try String.fetchAll(
                db,
                sql: """
                    SELECT a.did FROM indexer_fts f JOIN indexer_agent a ON a.id = f.rowid
                    WHERE indexer_fts MATCH '"trans"* "trans"*' ORDER BY f.rank, a.did
                    """
            )
        }
        #expect(asWritten.count >= 10)
        let got = try mirror.search(SearchQuery(words: ["trans", "trans"], limit: 100), now: TestRecords.start)
        #expect(got.results.map(\.did) == Array(asWritten.prefix(100)))
    }
}
