import Foundation
import GRDB
import Indexer
import MeshCore

/// One search result: what a person reads, and the signed record a client verifies for itself.
public struct SearchHit: Sendable, Equatable, Codable {
    public var did: String
    public var name: String
    public var description: String
    public var tags: [String]
    public var sequence: UInt64
    public var expiresMs: Int64
    public var lastSeenMs: Int64
    /// The signed record envelope bytes, base64 (standard alphabet).
    public var record: String
}

/// One page of results and the cursor of the next, if any.
public struct SearchPage: Sendable, Equatable, Codable {
    public var results: [SearchHit]
    public var nextCursor: String?
}

/// One agent in full: the card as signed and the record bytes.
public struct AgentEntry: Sendable, Equatable {
    public var hit: SearchHit
    public var card: [UInt8]
    public var firstSeenMs: Int64
}

extension Mirror {
    /// How many of the best text matches freshness re-ranks (more when a page reaches deeper).
    static let rerankedCandidates = 200
    /// The text ranking: BM25 with the column weights of name, description, skills, tags and examples (the same
    /// weights are FTS5's configured `rank`, migration v2), computed by `mirror_bm25` (`Mirror+Rank.swift`): the
    /// same scores as FTS5's `bm25`, with the row lengths read from memory. Its first argument (`?`) is the
    /// generation the query's read transaction sees.
    static let bm25 = "\(rankFunction)(indexer_fts, ?, 10.0, 4.0, 3.0, 3.0, 1.0)"

    /// Ranked by BM25 over name (weight 10), description (4), skills (3), tags (3) and examples (1), scaled up to
    /// 1.5 times for an agent seen in the last minutes (freshness, over the best `rerankedCandidates` text matches),
    /// then by DID so pages are stable. Without words, the freshest first (then by DID).
    public func search(_ query: SearchQuery, now: Timestamp) throws -> SearchPage {
        try database.read { db in try Mirror.search(query, now: now, db: db) }
    }

    /// `search` on one of the pool's reader queues: for async callers (the HTTP API), since a search is
    /// milliseconds of SQLite that must not hold a cooperative or event-loop thread meanwhile.
    public func readSearch(_ query: SearchQuery, now: Timestamp) async throws -> SearchPage {
        try await database.read { db in try Mirror.search(query, now: now, db: db) }
    }

    /// `agent` on one of the pool's reader queues, for async callers.
    public func readAgent(did: String, now: Timestamp) async throws -> AgentEntry? {
        try await database.read { db in try Mirror.agent(did: did, now: now, db: db) }
    }

    /// `agentCount` on one of the pool's reader queues, for async callers.
    public func readAgentCount(now: Timestamp) async throws -> Int {
        try await database.read { db in try Mirror.agentCount(now: now, db: db) }
    }

    /// `tagCounts` on one of the pool's reader queues, for async callers.
    public func readTagCounts(now: Timestamp, limit: Int = 500) async throws -> [(tag: String, count: Int)] {
        try await database.read { db in try Mirror.tagCounts(now: now, limit: limit, db: db) }
    }

    /// The search inside a read transaction (a read on the pool is one transaction).
    static func search(_ query: SearchQuery, now: Timestamp, db: Database) throws -> SearchPage {
        var arguments: StatementArguments = []
        var sql: String
        let nowMs = now.millisecondsSinceEpoch
        let filters = [query.tag, query.capability].compactMap { $0 }
        func filtered(_ column: String) -> String {
            String(repeating: " AND \(column) IN (SELECT agent FROM indexer_tag WHERE tag = ?)", count: filters.count)
        }
        if let match = query.matchExpression {
            // BM25 alone picks the best candidates inside FTS5; freshness re-ranks those. Joining every match to
            // the agent table first cost a lookup per match, which dominated common words. `bm25(...)` in the
            // query, not FTS5's `rank` column (the same function and weights): ordering by `rank` makes FTS5 run a
            // nested statement and sort every match, while this lets SQLite keep only the best `candidates` as it
            // scans (EXPLAIN QUERY PLAN: a temp B-tree with a LIMIT), about a third less time per common word.
            let candidates = max(Mirror.rerankedCandidates, query.offset + query.limit + 1)
            sql =
                "WITH c AS (SELECT rowid AS id, \(Mirror.bm25) AS bm FROM indexer_fts WHERE indexer_fts MATCH ?"
                + filtered("rowid") + " ORDER BY bm LIMIT ?) "
                + "SELECT a.*, c.bm * (1.0 + 0.5 / (1.0 + (? - a.last_seen_ms) / 600000.0)) AS score "
                + "FROM c JOIN indexer_agent a ON a.id = c.id WHERE a.expires_ms > ?"
            arguments += [match]
            for filter in filters { arguments += [filter] }
            arguments += [candidates, nowMs, nowMs]
            sql += " ORDER BY score, a.did LIMIT ? OFFSET ?"
            arguments += [query.limit + 1, query.offset]
        } else {
            // The page's ids first, from the covering index on (last_seen_ms DESC, did, expires_ms) (migration
            // v3), walked in order and stopped at the page; then only those rows. Sorting `a.*` of every live
            // agent (blobs and all) cost a third of a second at 100,000 agents. `+` keeps the planner off the
            // expiry index, which would make it sort again.
            sql =
                "WITH p AS (SELECT a.id, a.last_seen_ms AS seen, a.did AS did FROM indexer_agent a "
                + "WHERE +a.expires_ms > ?" + filtered("a.id")
                + " ORDER BY a.last_seen_ms DESC, a.did LIMIT ? OFFSET ?) "
                + "SELECT a.*, 0.0 AS score FROM p JOIN indexer_agent a ON a.id = p.id ORDER BY p.seen DESC, p.did"
            arguments += [nowMs]
            for filter in filters { arguments += [filter] }
            arguments += [query.limit + 1, query.offset]
        }
        let ranked = query.matchExpression != nil
        // The ranking's first argument, the generation, is read in the same read transaction as the search, so
        // it names the snapshot the search sees.
        var bound: StatementArguments = ranked ? [try Mirror.generation(db)] : []
        bound += arguments
        let hits = try Row.fetchAll(db.cachedStatement(sql: sql), arguments: bound).map(Mirror.hit)
        let more = hits.count > query.limit && query.offset + query.limit <= SearchQuery.maximumOffset
        return SearchPage(
            results: Array(hits.prefix(query.limit)),
            nextCursor: more ? SearchCursor.encode(offset: query.offset + query.limit) : nil
        )
    }

    /// One live agent, or nil.
    public func agent(did: String, now: Timestamp) throws -> AgentEntry? {
        try database.read { db in try Mirror.agent(did: did, now: now, db: db) }
    }

    static func agent(did: String, now: Timestamp, db: Database) throws -> AgentEntry? {
        guard
            let row = try Row.fetchOne(
                db,
                sql: "SELECT * FROM indexer_agent WHERE did = ? AND expires_ms > ?",
                arguments: [did, now.millisecondsSinceEpoch]
            )
        else { return nil }
        let card: Data = row["card"]
        return AgentEntry(hit: Mirror.hit(row), card: Array(card), firstSeenMs: row["first_seen_ms"])
    }

    /// Tags with the number of live agents under each, most first (at most `limit`).
    public func tagCounts(now: Timestamp, limit: Int = 500) throws -> [(tag: String, count: Int)] {
        try database.read { db in try Mirror.tagCounts(now: now, limit: limit, db: db) }
    }

    static func tagCounts(now: Timestamp, limit: Int, db: Database) throws -> [(tag: String, count: Int)] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT t.tag, COUNT(*) AS n FROM indexer_tag t JOIN indexer_agent a ON a.id = t.agent
                WHERE a.expires_ms > ? GROUP BY t.tag ORDER BY n DESC, t.tag LIMIT ?
                """,
            arguments: [now.millisecondsSinceEpoch, limit]
        ).map { ($0["tag"], $0["n"]) }
    }

    static func hit(_ row: Row) -> SearchHit {
        let record: Data = row["record"]
        let tags: String = row["tags"]
        let sequence: Int64 = row["sequence"]
        return SearchHit(
            did: row["did"],
            name: row["name"],
            description: row["description"],
            tags: tags.split(separator: " ").map(String.init),
            sequence: UInt64(bitPattern: sequence),
            expiresMs: row["expires_ms"],
            lastSeenMs: row["last_seen_ms"],
            record: record.base64EncodedString()
        )
    }
}
