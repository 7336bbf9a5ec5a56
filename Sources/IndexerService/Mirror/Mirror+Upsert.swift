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
        let outcomes = try batch.map {
            try upsert($0.document, source: $0.source, now: now, limits: limits, lengths: lengths, tally: tally, db: db)
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
        db: Database
    ) throws -> IngestOutcome {
        let sequence = Int64(bitPattern: document.sequence)
        let nowMs = now.millisecondsSinceEpoch
        if let row = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT id, sequence, record FROM indexer_agent WHERE did = ?"),
            arguments: [document.did]
        ) {
            let id: Int64 = row["id"]
            let existing: Int64 = row["sequence"]
            let bytes: Data = row["record"]
            if sequence < existing || (sequence == existing && bytes != Data(document.record)) { return .stale }
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
            try index(document, id: id, limits: limits, lengths: lengths, tally: tally, db: db)
            return .updated
        }
        let total = try tally.agentCount(db)
        let fromSource =
            try db.int("SELECT COUNT(*) FROM indexer_agent WHERE source = ?", [source]) ?? 0
        guard total < limits.maximumAgents, fromSource < limits.maximumAgentsPerSource else { return .full }
        try db.run(
            """
            INSERT INTO indexer_agent (did, sequence, issued_ms, expires_ms, first_seen_ms, last_seen_ms, source,
            name, description, tags, card, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                document.did, sequence, document.issuedAt.millisecondsSinceEpoch,
                document.expiresAt.millisecondsSinceEpoch, nowMs, nowMs, source, document.name, document.description,
                document.tags.joined(separator: " "), Data(document.card), Data(document.record),
            ]
        )
        try index(document, id: db.lastInsertedRowID, limits: limits, lengths: lengths, tally: tally, db: db)
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
        db: Database
    ) throws {
        try db.run(
            "INSERT INTO indexer_fts (rowid, name, description, skills, tags, examples) VALUES (?, ?, ?, ?, ?, ?)",
            [
                id, document.name, document.description, document.skills, document.tags.joined(separator: " "),
                document.examples,
            ]
        )
        try lengths.stage(rowid: id, db: db)
        for tag in document.tags {
            guard try tally.tagCount(tag, db) < limits.maximumAgentsPerTag else { continue }
            try db.run("INSERT INTO indexer_tag (tag, agent) VALUES (?, ?)", [tag, id])
            try tally.addTag(tag, 1, db)
        }
    }
}
