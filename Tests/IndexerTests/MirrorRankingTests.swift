import Foundation
import GRDB
import Indexer
import IndexerService
import MeshCore
import Testing

/// The search's ordering, pinned against SQLite itself (a real file): the text ranking is FTS5's configured
/// `rank` (BM25, weights 10, 4, 3, 3, 1) whether the query names `rank` or calls `bm25(...)`, freshness only
/// reorders, and a search without words lists the freshest first through the covering index.
@Suite struct MirrorRankingTests {
    let now = TestRecords.start

    /// 80 agents; every 10th is seen `index` seconds later, so last-seen differs and ties are broken by DID.
    func mirror() async throws -> (Mirror, [String: Int]) {
        let mirror = try Mirror(path: TestRecords.temporaryPath("ranking.sqlite"))
        var index: [String: Int] = [:]
        for number in 0..<80 {
            let document = try TestRecords.document(
                TestRecords.record(TestRecords.key(UInt64(500 + number)), index: number)
            )
            index[document.did] = number
            let seen = now + .seconds(number % 10 == 0 ? number : 0)
            #expect(try mirror.ingest([(document, "s\(number)")], now: seen) == [.inserted])
        }
        return (mirror, index)
    }

    /// With freshness out of the way (every agent seen equally long ago), the order is exactly FTS5's `rank`.
    @Test func textOrderIsFTS5Rank() async throws {
        let (mirror, _) = try await mirror()
        try await mirror.database.write { db in try db.execute(sql: "UPDATE indexer_agent SET last_seen_ms = 0") }
        for words in [["weather"], ["trans"], ["agent"], ["plan", "agent"], ["med"]] {
            let query = SearchQuery(words: words, limit: 100)
            let expression = try #require(query.matchExpression)
            let expected = try await mirror.database.read { db in
                try String.fetchAll(
                    db,
                    sql: """
                        SELECT a.did FROM indexer_fts f JOIN indexer_agent a ON a.id = f.rowid
                        WHERE indexer_fts MATCH ? ORDER BY f.rank, a.did
                        """,
                    arguments: [expression]
                )
            }
            #expect(!expected.isEmpty, "\(words) matches something")
            let got = try mirror.search(query, now: now + .seconds(60)).results.map(\.did)
            #expect(got == Array(expected.prefix(100)), "\(words)")
        }
    }

    /// Freshness lifts an agent seen just now above equally good text matches seen long ago.
    @Test func freshnessReordersEqualMatches() async throws {
        let (mirror, index) = try await mirror()
        let results = try mirror.search(SearchQuery(words: ["weather"], limit: 100), now: now + .seconds(80))
        // Agents 1, 21, 41, 61 have "weather" as their first topic (name, description, skills, tags, example); of
        // those, none is a multiple of 10, so all were seen at the start: their order is by DID.
        let first = results.results.prefix(4).map { index[$0.did]! }
        #expect(Set(first) == [1, 21, 41, 61])
        #expect(results.results.prefix(4).map(\.did) == results.results.prefix(4).map(\.did).sorted())
    }

    /// No words: freshest first, then by DID, paged, and with a tag filter only agents under the tag.
    @Test func withoutWordsFreshestFirst() async throws {
        let (mirror, index) = try await mirror()
        let first = try mirror.search(SearchQuery(limit: 3), now: now + .seconds(100))
        #expect(first.results.map { index[$0.did]! } == [70, 60, 50])
        let cursor = try #require(first.nextCursor)
        let second = try mirror.search(
            SearchQuery(limit: 3, offset: SearchCursor.decode(cursor)),
            now: now + .seconds(100)
        )
        #expect(second.results.map { index[$0.did]! } == [40, 30, 20])
        // After the eight seen later, the rest (all seen at the start) come by DID.
        let all = try mirror.search(SearchQuery(limit: 100), now: now + .seconds(100)).results
        #expect(all.count == 80)
        let rest = all.dropFirst(8).map(\.did)
        #expect(rest == rest.sorted())
        let tagged = try mirror.search(SearchQuery(tag: "chess", limit: 100), now: now + .seconds(100)).results
        #expect(!tagged.isEmpty && tagged.allSatisfy { $0.tags.contains("chess") })
        let seen = tagged.map(\.lastSeenMs)
        #expect(seen == seen.sorted(by: >))
        // The listing's id query (as `Mirror.search` writes it) walks the covering index rather than sorting.
        let plan = try await mirror.database.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    EXPLAIN QUERY PLAN SELECT a.id, a.last_seen_ms AS seen, a.did AS did FROM indexer_agent a
                    WHERE +a.expires_ms > ? ORDER BY a.last_seen_ms DESC, a.did LIMIT ? OFFSET ?
                    """,
                arguments: [0, 3, 0]
            ).map { $0["detail"] as String }.joined(separator: "\n")
        }
        #expect(plan.contains("COVERING INDEX indexer_agent_recent"), "\(plan)")
        #expect(!plan.contains("TEMP B-TREE"), "\(plan)")
    }
}
