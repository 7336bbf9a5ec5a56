import GRDB
import Indexer

/// The statements `Mirror.upsert` runs for every agent of a batch, prepared once per write transaction
/// (`PreparedStatement`: why they bypass GRDB). Not `Sendable`: it lives inside one write closure.
final class MirrorStatements {
    let db: Database
    private let version: PreparedStatement
    private let fromSource: PreparedStatement
    private let insertAgent: PreparedStatement
    private let insertText: PreparedStatement
    private let docsize: PreparedStatement
    private let insertTag: PreparedStatement

    init(_ db: Database) throws {
        self.db = db
        version = try PreparedStatement("SELECT id, sequence, record FROM indexer_agent WHERE did = ?", db: db)
        fromSource = try PreparedStatement("SELECT COUNT(*) FROM indexer_agent WHERE source = ?", db: db)
        insertAgent = try PreparedStatement(
            """
            INSERT INTO indexer_agent (did, sequence, issued_ms, expires_ms, first_seen_ms, last_seen_ms, source,
            name, description, tags, card, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            db: db
        )
        insertText = try PreparedStatement(
            "INSERT INTO indexer_fts (rowid, name, description, skills, tags, examples) VALUES (?, ?, ?, ?, ?, ?)",
            db: db
        )
        docsize = try PreparedStatement("SELECT sz FROM indexer_fts_docsize WHERE id = ?", db: db)
        insertTag = try PreparedStatement("INSERT INTO indexer_tag (tag, agent) VALUES (?, ?)", db: db)
    }

    /// The mirror's row for `did`: its id, sequence and record bytes.
    func version(of did: String) throws -> (id: Int64, sequence: Int64, record: [UInt8])? {
        defer { version.reset() }
        try version.bind(1, did)
        guard try version.step() else { return nil }
        return (version.column(int64: 0), version.column(int64: 1), version.column(blob: 2))
    }

    /// How many agents came from `source`.
    func agents(from source: String) throws -> Int {
        try fromSource.bind(1, source)
        return Int(try fromSource.int64() ?? 0)
    }

    /// Inserts a new agent's row; returns its id.
    func insert(_ document: AgentDocument, sequence: Int64, source: String, nowMs: Int64) throws -> Int64 {
        try insertAgent.bind(1, document.did)
        try insertAgent.bind(2, sequence)
        try insertAgent.bind(3, document.issuedAt.millisecondsSinceEpoch)
        try insertAgent.bind(4, document.expiresAt.millisecondsSinceEpoch)
        try insertAgent.bind(5, nowMs)
        try insertAgent.bind(6, nowMs)
        try insertAgent.bind(7, source)
        try insertAgent.bind(8, document.name)
        try insertAgent.bind(9, document.description)
        try insertAgent.bind(10, document.tags.joined(separator: " "))
        try insertAgent.bind(11, blob: document.card)
        try insertAgent.bind(12, blob: document.record)
        try insertAgent.run()
        return db.lastInsertedRowID
    }

    /// The agent's full-text row, under the agent's id.
    func index(_ document: AgentDocument, id: Int64) throws {
        try insertText.bind(1, id)
        try insertText.bind(2, document.name)
        try insertText.bind(3, document.description)
        try insertText.bind(4, document.skills)
        try insertText.bind(5, document.tags.joined(separator: " "))
        try insertText.bind(6, document.examples)
        try insertText.run()
    }

    /// A full-text row's length in tokens, from `%_docsize` (`RowLengths`), or nil when the row is not there.
    func length(rowid: Int64) throws -> Int32? {
        defer { docsize.reset() }
        try docsize.bind(1, rowid)
        guard try docsize.step() else { return nil }
        return RowLengths.total(of: docsize.column(blob: 0))
    }

    func tag(_ tag: String, agent: Int64) throws {
        try insertTag.bind(1, tag)
        try insertTag.bind(2, agent)
        try insertTag.run()
    }
}
