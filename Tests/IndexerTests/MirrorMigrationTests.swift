import Foundation
import GRDB
import Indexer
import IndexerService
import MeshCore
import Testing

/// A mirror file written by the previous build (schema v3: FTS5 with prefix indexes) opens with this one: the v4
/// migration rebuilds the FTS table without prefix indexes and keeps every agent, its rowid, the search and the
/// configured `rank` (decision 0109). A real SQLite file, laid out by the v3 statements themselves.
@Suite struct MirrorMigrationTests {
    let now = TestRecords.start

    /// The v1 to v3 schema exactly as the previous build created it, with GRDB's record of those migrations.
    static let schemaV3 = """
        CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
        INSERT INTO grdb_migrations VALUES ('indexer-v1'), ('indexer-v2'), ('indexer-v3');
        CREATE TABLE indexer_agent (
            id INTEGER PRIMARY KEY, did TEXT NOT NULL UNIQUE, sequence INTEGER NOT NULL,
            issued_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL, first_seen_ms INTEGER NOT NULL,
            last_seen_ms INTEGER NOT NULL, source TEXT NOT NULL, name TEXT NOT NULL,
            description TEXT NOT NULL, tags TEXT NOT NULL, card BLOB NOT NULL, record BLOB NOT NULL);
        CREATE INDEX indexer_agent_expiry ON indexer_agent (expires_ms);
        CREATE INDEX indexer_agent_source ON indexer_agent (source);
        CREATE TABLE indexer_tag (tag TEXT NOT NULL, agent INTEGER NOT NULL, PRIMARY KEY (tag, agent)) WITHOUT ROWID;
        CREATE INDEX indexer_tag_agent ON indexer_tag (agent);
        CREATE TABLE indexer_counter (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
        CREATE VIRTUAL TABLE indexer_fts USING fts5(
            name, description, skills, tags, examples, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3 4');
        INSERT INTO indexer_fts (indexer_fts, rank) VALUES ('rank', 'bm25(10.0, 4.0, 3.0, 3.0, 1.0)');
        CREATE TABLE indexer_tag_count (tag TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
        INSERT INTO indexer_counter (name, value) VALUES ('agents', 0);
        CREATE INDEX indexer_agent_recent ON indexer_agent (last_seen_ms DESC, did, expires_ms);
        """

    /// Writes `documents` into a v3 file the way v3's upsert did (agent row, FTS row under the same id, tags).
    static func writeV3(_ documents: [AgentDocument], path: String, now: Timestamp) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: schemaV3)
            for (number, document) in documents.enumerated() {
                let tags = document.tags.joined(separator: " ")
                try db.execute(
                    sql: """
                        INSERT INTO indexer_agent (did, sequence, issued_ms, expires_ms, first_seen_ms, last_seen_ms,
                        source, name, description, tags, card, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        document.did, Int64(document.sequence), document.issuedAt.millisecondsSinceEpoch,
                        document.expiresAt.millisecondsSinceEpoch, now.millisecondsSinceEpoch,
                        now.millisecondsSinceEpoch, "s\(number)", document.name, document.description, tags,
                        Data(document.card), Data(document.record),
                    ]
                )
                try db.execute(
                    sql:
                        "INSERT INTO indexer_fts (rowid, name, description, skills, tags, examples) VALUES (?, ?, ?, ?, ?, ?)",
                    arguments: [
                        db.lastInsertedRowID, document.name, document.description, document.skills, tags,
                        document.examples,
                    ]
                )
                try db.execute(sql: "UPDATE indexer_counter SET value = value + 1 WHERE name = 'agents'")
            }
        }
        try queue.close()
    }

    @Test func previousMirrorKeepsItsAgentsWithoutPrefixIndexes() async throws {
        let path = TestRecords.temporaryPath("v3.sqlite")
        let documents = try (0..<30).map { number in
            try TestRecords.document(TestRecords.record(TestRecords.key(UInt64(900 + number)), index: number))
        }
        try Self.writeV3(documents, path: path, now: now)
        let before = try DatabaseQueue(path: path).read { db in
            try Row.fetchAll(db, sql: "SELECT rowid, * FROM indexer_fts ORDER BY rowid")
        }

        let mirror = try Mirror(path: path)
        let (schema, rank, after) = try mirror.database.read { db in
            (
                try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = 'indexer_fts'"),
                try String.fetchOne(db, sql: "SELECT v FROM indexer_fts_config WHERE k = 'rank'"),
                try Row.fetchAll(db, sql: "SELECT rowid, * FROM indexer_fts ORDER BY rowid")
            )
        }
        #expect(schema?.contains("prefix") == false, "\(schema ?? "no table")")
        #expect(rank == "bm25(10.0, 4.0, 3.0, 3.0, 1.0)")
        #expect(after == before)
        #expect(after.count == 30)
        #expect(try mirror.agentCount(now: now) == 30)
        // Searching still works, prefixes too, and an agent found again is only refreshed, not inserted twice.
        let weather = try mirror.search(SearchQuery(words: ["weath"], limit: 100), now: now)
        #expect(Set(weather.results.map(\.did)) == Set(documents.filter { $0.skills.contains("weather") }.map(\.did)))
        #expect(!weather.results.isEmpty)
        #expect(try mirror.ingest([(documents[1], "s1")], now: now + .seconds(5)) == [.refreshed])
        // An edit after the migration replaces the FTS row in the new table.
        let edited = try TestRecords.document(TestRecords.record(TestRecords.key(901), index: 77, sequence: 2))
        #expect(try mirror.ingest([(edited, "s1")], now: now + .seconds(6)) == [.updated])
        #expect(
            try mirror.search(SearchQuery(words: ["77"]), now: now + .seconds(6)).results.map(\.did) == [edited.did]
        )
    }

    /// Opening an already migrated file again changes nothing.
    @Test func reopeningIsANoOp() async throws {
        let path = TestRecords.temporaryPath("v4.sqlite")
        let document = try TestRecords.document(TestRecords.record(TestRecords.key(950), index: 3))
        do {
            let mirror = try Mirror(path: path)
            #expect(try mirror.ingest([(document, "a")], now: now) == [.inserted])
        }
        let reopened = try Mirror(path: path)
        #expect(try reopened.search(SearchQuery(words: ["agent", "3"]), now: now).results.map(\.did) == [document.did])
    }
}
