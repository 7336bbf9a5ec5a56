import Foundation
import GRDB
import Indexer
import MeshCore

extension Mirror {
    /// A batch of documents inside the caller's transaction (after `lengths.begin`), with one `MirrorTally` for
    /// the batch, written before returning.
    static func upsert(
        _ batch: [(document: AgentDocument, source: String)],
        now: Timestamp,
        limits: MirrorLimits,
        lengths: RowLengths,
        db: Database
    ) throws -> [IngestOutcome] {
        let tally = MirrorTally()
        let statements = try MirrorStatements(db)
        let outcomes = try batch.map {
            try upsert(
                $0.document,
                source: $0.source,
                now: now,
                limits: limits,
                lengths: lengths,
                tally: tally,
                statements: statements,
                db: db
            )
        }
        try tally.flush(db)
        return outcomes
    }

    /// The sequence rule and the growth bounds, inside the caller's transaction.
    static func upsert(
        _ document: AgentDocument,
        source: String,
        now: Timestamp,
        limits: MirrorLimits,
        lengths: RowLengths,
        tally: MirrorTally,
        statements: MirrorStatements,
        db: Database
    ) throws -> IngestOutcome {
        let sequence = Int64(bitPattern: document.sequence)
        let nowMs = now.millisecondsSinceEpoch
        if let (id, existing, bytes) = try statements.version(of: document.did) {
            if sequence < existing || (sequence == existing && bytes != document.record) { return .stale }
            if sequence == existing {
                try db.run("UPDATE indexer_agent SET last_seen_ms = ? WHERE id = ?", [nowMs, id])
                return .refreshed
            }
            try db.run(
                """
                UPDATE indexer_agent SET sequence = ?, issued_ms = ?, expires_ms = ?, last_seen_ms = ?, source = ?,
                name = ?, description = ?, tags = ?, card = ?, record = ? WHERE id = ?
                """,
                [
                    sequence, document.issuedAt.millisecondsSinceEpoch, document.expiresAt.millisecondsSinceEpoch,
                    nowMs, source, document.name, document.description, document.tags.joined(separator: " "),
                    Data(document.card), Data(document.record), id,
                ]
            )
            try db.run("DELETE FROM indexer_fts WHERE rowid = ?", [id])
            try unindexTags(id: id, tally: tally, db: db)
            try index(document, id: id, limits: limits, lengths: lengths, tally: tally, statements: statements)
            return .updated
        }
        let total = try tally.agentCount(db)
        let fromSource = try statements.agents(from: source)
        guard total < limits.maximumAgents, fromSource < limits.maximumAgentsPerSource else { return .full }
        let id = try statements.insert(document, sequence: sequence, source: source, nowMs: nowMs)
        try index(document, id: id, limits: limits, lengths: lengths, tally: tally, statements: statements)
        try tally.addAgents(1, db)
        return .inserted
    }

    /// The FTS row (rowid = the agent's id, its length staged for the ranking) and the tag rows, each tag only
    /// while it has room.
    static func index(
        _ document: AgentDocument,
        id: Int64,
        limits: MirrorLimits,
        lengths: RowLengths,
        tally: MirrorTally,
        statements: MirrorStatements
    ) throws {
        try statements.index(document, id: id)
        if lengths.tracks(rowid: id) { lengths.stage(rowid: id, length: try statements.length(rowid: id)) }
        for tag in document.tags {
            guard try tally.tagCount(tag, statements.db) < limits.maximumAgentsPerTag else { continue }
            try statements.tag(tag, agent: id)
            try tally.addTag(tag, 1, statements.db)
        }
    }
}
