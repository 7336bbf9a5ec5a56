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

    public init(path: String, limits: MirrorLimits = MirrorLimits()) throws {
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        database = try DatabasePool(path: path, configuration: configuration)
        self.limits = limits
        try Mirror.migrator.migrate(database)
    }

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
        return migrator
    }

    /// Writes a batch of documents in one transaction and says what happened to each.
    public func ingest(_ batch: [(document: AgentDocument, source: String)], now: Timestamp) throws -> [IngestOutcome] {
        try database.write { db in
            try batch.map { try Mirror.upsert($0.document, source: $0.source, now: now, limits: limits, db: db) }
        }
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
            try Mirror.delete(id: row["id"], db: db)
            return true
        }
    }

    /// Drops every agent whose record expired at `now`; returns how many went.
    @discardableResult
    public func expire(now: Timestamp) throws -> Int {
        try database.write { db in
            let ids = try Int64.fetchAll(
                db,
                sql: "SELECT id FROM indexer_agent WHERE expires_ms <= ?",
                arguments: [now.millisecondsSinceEpoch]
            )
            for id in ids { try Mirror.delete(id: id, db: db) }
            return ids.count
        }
    }

    public func agentCount(now: Timestamp) throws -> Int {
        try database.read { db in
            try Int.fetchOne(
                db,
                sql: "SELECT COUNT(*) FROM indexer_agent WHERE expires_ms > ?",
                arguments: [now.millisecondsSinceEpoch]
            ) ?? 0
        }
    }

    static func delete(id: Int64, db: Database) throws {
        try db.run("DELETE FROM indexer_fts WHERE rowid = ?", [id])
        try unindexTags(id: id, db: db)
        try db.run("DELETE FROM indexer_agent WHERE id = ?", [id])
        try db.run("UPDATE indexer_counter SET value = value - 1 WHERE name = 'agents'")
    }

    /// Removes an agent's tag rows and lowers each tag's count.
    static func unindexTags(id: Int64, db: Database) throws {
        try db.run(
            "UPDATE indexer_tag_count SET n = n - 1 WHERE tag IN (SELECT tag FROM indexer_tag WHERE agent = ?)",
            [id]
        )
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
