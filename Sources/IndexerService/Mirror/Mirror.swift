import Foundation
import GRDB
import Indexer
import MeshCore

/// The indexer's copy of the DHT: one SQLite file (GRDB `DatabasePool`, WAL) with an FTS5 index over each agent's
/// name, description, skills, tags and examples (decision 0089).
///
/// An agent is replaced only by a record with a higher sequence; the same record again only refreshes its
/// last-seen time; anything else (a lower sequence, or the same sequence with other bytes: a replay or a forgery
/// that slipped past nothing, since records arrive validated) is refused as stale. Rows expire with their record.
/// `Sendable` because its only state is the pool, which serialises writes and allows concurrent reads.
public final class Mirror: Sendable {
    public let database: DatabasePool
    public let limits: MirrorLimits
    /// Each FTS row's length for the ranking (`mirror_bm25`), published per write transaction.
    let lengths: RowLengths

    public init(path: String, limits: MirrorLimits = MirrorLimits()) throws {
        let lengths = RowLengths(maximumRowid: Int64(limits.maximumAgents) * Mirror.rowidHeadroom)
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try Mirror.registerRanking(db, lengths: lengths)
            // WAL with `synchronous = NORMAL`: a commit is atomic and the file never corrupts, but the last
            // transactions before a power cut may be lost. That is acceptable here because the mirror is a cache
            // of the DHT that the crawl refills; it is not acceptable for a store of record.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // Every connection maps the file instead of copying each page into its own cache: a common word's
            // doclists and the row sizes BM25 reads span several megabytes at 100,000 agents, more than the
            // default 2 MB cache of a connection. About 4 % less CPU per query (A/B, 100,000 agents); the mapped
            // pages are the OS page cache, shared by the pool's connections, but they count in the process's RSS.
            try db.execute(sql: "PRAGMA mmap_size = \(Mirror.mappedBytes)")
            guard !db.configuration.readonly else { return }
            // The writer alone: a cache that holds the indexes and FTS5 segments a batch touches (the default
            // 2 MB made it re-read them from the WAL), and checkpoints every 8,192 pages instead of 1,000, so a
            // page rewritten by many batches is copied into the file fewer times. About 6 % less ingest CPU.
            try db.execute(sql: "PRAGMA cache_size = -\(Mirror.writerCacheKibibytes)")
            try db.execute(sql: "PRAGMA wal_autocheckpoint = \(Mirror.checkpointPages)")
            // A new file gets 8 KiB pages (an existing one keeps its own: SQLite changes it only by a VACUUM
            // outside WAL): half as many B-tree pages to split, write and checkpoint per record, about 8 % less
            // ingest CPU at 100,000 agents for about 1 % more query CPU (decision 0115).
            try db.execute(sql: "PRAGMA page_size = \(Mirror.pageBytes)")
        }
        database = try DatabasePool(path: path, configuration: configuration)
        self.limits = limits
        self.lengths = lengths
        try Mirror.migrator.migrate(database)
        try database.read { db in try lengths.load(db) }
    }

    /// Rowids up to this multiple of `maximumAgents` have their length kept in memory (4 bytes each); agents that
    /// come and go raise the ids, and rows above it are ranked with FTS5's own lengths.
    static let rowidHeadroom: Int64 = 4

    /// How much of the file readers map (`PRAGMA mmap_size`); the rest is read through the page cache.
    static let mappedBytes = 1 << 30
    /// The writer's page cache, in KiB (`PRAGMA cache_size`, negative = KiB).
    static let writerCacheKibibytes = 65_536
    /// WAL pages between automatic checkpoints (`PRAGMA wal_autocheckpoint`): at most 64 MB of WAL with the
    /// 8 KiB pages of a new file (32 MB in a file made before).
    static let checkpointPages = 8_192
    /// The page size of a new mirror file (`PRAGMA page_size`).
    static let pageBytes = 8_192

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("indexer-v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE indexer_agent (
                        id INTEGER PRIMARY KEY, did TEXT NOT NULL UNIQUE, sequence INTEGER NOT NULL,
                        issued_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL, first_seen_ms INTEGER NOT NULL,
                        last_seen_ms INTEGER NOT NULL, source TEXT NOT NULL, name TEXT NOT NULL,
                        description TEXT NOT NULL, tags TEXT NOT NULL, card BLOB NOT NULL, record BLOB NOT NULL);
                    CREATE INDEX indexer_agent_expiry ON indexer_agent (expires_ms);
                    CREATE INDEX indexer_agent_source ON indexer_agent (source);
                    CREATE INDEX indexer_agent_seen ON indexer_agent (last_seen_ms);
                    CREATE TABLE indexer_tag (
                        tag TEXT NOT NULL, agent INTEGER NOT NULL, PRIMARY KEY (tag, agent)) WITHOUT ROWID;
                    CREATE INDEX indexer_tag_agent ON indexer_tag (agent);
                    CREATE VIRTUAL TABLE indexer_fts USING fts5(
                        name, description, skills, tags, examples, tokenize = 'unicode61 remove_diacritics 2');
                    CREATE TABLE indexer_counter (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
                    """
            )
        }
        // v2: counts kept as rows (a COUNT(*) per write made ingest O(n)), a prefix index and the BM25 weights as
        // FTS5's rank. The mirror is a cache of the DHT, so v1's rows are dropped and the crawl refills them.
        migrator.registerMigration("indexer-v2") { db in
            try db.execute(
                sql: """
                    DROP TABLE indexer_fts; DELETE FROM indexer_tag; DELETE FROM indexer_agent;
                    CREATE VIRTUAL TABLE indexer_fts USING fts5(
                        name, description, skills, tags, examples, tokenize = 'unicode61 remove_diacritics 2',
                        prefix = '2 3 4');
                    INSERT INTO indexer_fts (indexer_fts, rank) VALUES ('rank', 'bm25(10.0, 4.0, 3.0, 3.0, 1.0)');
                    CREATE TABLE indexer_tag_count (tag TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
                    DELETE FROM indexer_counter;
                    INSERT INTO indexer_counter (name, value) VALUES ('agents', 0);
                    """
            )
        }
        // v3: the freshest-first listing (a search without words) walks a covering index in order and stops at
        // the page, instead of sorting every live agent; it supersedes the plain last-seen index.
        migrator.registerMigration("indexer-v3") { db in
            try db.execute(
                sql: """
                    CREATE INDEX indexer_agent_recent ON indexer_agent (last_seen_ms DESC, did, expires_ms);
                    DROP INDEX indexer_agent_seen;
                    """
            )
        }
        // v4: no prefix indexes (decision 0109). They made an FTS5 insert about 2.5 times as costly, while a query
        // word is a prefix of any length and only lengths 2 to 4 used them: the benchmark's words cost the same
        // or 4 % more without them, and a 2- or 3-letter word that begins many terms about 20 % more. The rows
        // are copied into the new table (content and rowids stay), so an existing mirror keeps its agents.
        migrator.registerMigration("indexer-v4") { db in
            try db.execute(
                sql: """
                    CREATE VIRTUAL TABLE indexer_fts_v4 USING fts5(
                        name, description, skills, tags, examples, tokenize = 'unicode61 remove_diacritics 2');
                    INSERT INTO indexer_fts_v4 (indexer_fts_v4, rank) VALUES ('rank', 'bm25(10.0, 4.0, 3.0, 3.0, 1.0)');
                    INSERT INTO indexer_fts_v4 (rowid, name, description, skills, tags, examples)
                        SELECT rowid, name, description, skills, tags, examples FROM indexer_fts;
                    DROP TABLE indexer_fts;
                    ALTER TABLE indexer_fts_v4 RENAME TO indexer_fts;
                    INSERT INTO indexer_counter (name, value) VALUES ('generation', 0);
                    """
            )
        }
        return migrator
    }

    /// Writes a batch of documents in one transaction and says what happened to each.
    public func ingest(_ batch: [(document: AgentDocument, source: String)], now: Timestamp) throws -> [IngestOutcome] {
        try database.write { db in try ingest(batch, now: now, db: db) }
    }

    /// Writes a batch inside the caller's write transaction (`database.write`): the mirror's writes to the FTS
    /// table go through here or the other methods, which keep the ranking's row lengths in step (`RowLengths`).
    public func ingest(
        _ batch: [(document: AgentDocument, source: String)],
        now: Timestamp,
        db: Database
    ) throws -> [IngestOutcome] {
        try lengths.begin(db)
        return try Mirror.upsert(batch, now: now, limits: limits, lengths: lengths, db: db)
    }

    /// Removes an agent that asked to be left out (an `unlisted` record newer than the one mirrored).
    @discardableResult
    public func remove(did: String, ifOlderThan sequence: UInt64) throws -> Bool {
        try database.write { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: "SELECT id, sequence FROM indexer_agent WHERE did = ?",
                    arguments: [did]
                ),
                (row["sequence"] as Int64) < Int64(bitPattern: sequence)
            else { return false }
            try lengths.begin(db)
            let tally = MirrorTally()
            try Mirror.delete(id: row["id"], lengths: lengths, tally: tally, db: db)
            try tally.flush(db)
            return true
        }
    }

    /// Drops every agent whose record expired at `now`; returns how many went.
    @discardableResult
    public func expire(now: Timestamp) throws -> Int {
        let lengths = self.lengths
        return try database.write { db in try Mirror.expire(now: now, lengths: lengths, db: db) }
    }

    /// `expire` on the writer's queue, for async callers (the crawl service): a sweep that deletes thousands of
    /// agents takes a while and must not hold a cooperative thread meanwhile.
    @discardableResult
    public func sweepExpired(now: Timestamp) async throws -> Int {
        let lengths = self.lengths
        return try await database.write { db in try Mirror.expire(now: now, lengths: lengths, db: db) }
    }

    static func expire(now: Timestamp, lengths: RowLengths, db: Database) throws -> Int {
        let ids = try Int64.fetchAll(
            db,
            sql: "SELECT id FROM indexer_agent WHERE expires_ms <= ?",
            arguments: [now.millisecondsSinceEpoch]
        )
        // The generation is raised only by a sweep that deletes: an idle mirror writes nothing.
        if !ids.isEmpty { try lengths.begin(db) }
        let tally = MirrorTally()
        for id in ids { try Mirror.delete(id: id, lengths: lengths, tally: tally, db: db) }
        try tally.flush(db)
        return ids.count
    }

    public func agentCount(now: Timestamp) throws -> Int {
        try database.read { db in try Mirror.agentCount(now: now, db: db) }
    }

    /// Live agents (the record not expired at `now`).
    static func agentCount(now: Timestamp, db: Database) throws -> Int {
        try Int.fetchOne(
            db,
            sql: "SELECT COUNT(*) FROM indexer_agent WHERE expires_ms > ?",
            arguments: [now.millisecondsSinceEpoch]
        ) ?? 0
    }

    static func delete(id: Int64, lengths: RowLengths, tally: MirrorTally, db: Database) throws {
        try db.run("DELETE FROM indexer_fts WHERE rowid = ?", [id])
        try lengths.stage(rowid: id, db: db)
        try unindexTags(id: id, tally: tally, db: db)
        try db.run("DELETE FROM indexer_agent WHERE id = ?", [id])
        try tally.addAgents(-1, db)
    }

    /// Removes an agent's tag rows and lowers each tag's count.
    static func unindexTags(id: Int64, tally: MirrorTally, db: Database) throws {
        for tag in try String.fetchAll(
            db.cachedStatement(sql: "SELECT tag FROM indexer_tag WHERE agent = ?"),
            arguments: [id]
        ) {
            try tally.addTag(tag, -1, db)
        }
        try db.run("DELETE FROM indexer_tag WHERE agent = ?", [id])
    }
}

/// What the mirror did with one document.
public enum IngestOutcome: String, Sendable, Equatable {
    case inserted, updated, refreshed, stale
    /// Refused by a `MirrorLimits` bound (overall, or per source).
    case full
}

extension Database {
    /// Runs one statement from the connection's statement cache (the ingest path runs the same few all the time).
    func run(_ sql: String, _ arguments: StatementArguments = []) throws {
        try cachedStatement(sql: sql).execute(arguments: arguments)
    }

    /// One integer from a cached statement.
    func int(_ sql: String, _ arguments: StatementArguments = []) throws -> Int? {
        try Int.fetchOne(cachedStatement(sql: sql), arguments: arguments)
    }
}
