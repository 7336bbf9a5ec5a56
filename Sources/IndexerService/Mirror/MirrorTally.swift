import GRDB

/// The mirror's counters (agents overall, agents per tag) for one write transaction, read once and written once.
///
/// Every insert reads and raises the agent count and, for each of its tags, that tag's count: with four tags an
/// agent took ten statements for counters alone, about a fifth of the writer's time in `meshbench indexer`. A
/// transaction now reads each counter the first time it needs it, keeps it here, and `flush` writes the ones that
/// changed before the commit. Every change to the counters inside the transaction goes through this value, so what
/// it holds is what the rows say. Not `Sendable`: it lives inside one `database.write` closure.
final class MirrorTally {
    private var agents: Int?
    private var agentsChanged = false
    private var tags: [String: Int] = [:]
    private var changedTags: Set<String> = []

    /// Agents in the mirror, counting this transaction's inserts and deletions.
    func agentCount(_ db: Database) throws -> Int {
        if let agents { return agents }
        let stored = try db.int("SELECT value FROM indexer_counter WHERE name = 'agents'") ?? 0
        agents = stored
        return stored
    }

    func addAgents(_ delta: Int, _ db: Database) throws {
        agents = try agentCount(db) + delta
        agentsChanged = true
    }

    /// Agents listed under `tag`, counting this transaction's changes.
    func tagCount(_ tag: String, _ db: Database) throws -> Int {
        if let count = tags[tag] { return count }
        let stored = try db.int("SELECT n FROM indexer_tag_count WHERE tag = ?", [tag]) ?? 0
        tags[tag] = stored
        return stored
    }

    func addTag(_ tag: String, _ delta: Int, _ db: Database) throws {
        tags[tag] = try tagCount(tag, db) + delta
        changedTags.insert(tag)
    }

    /// Writes the counters that changed; call once, at the end of the transaction's mirror writes.
    func flush(_ db: Database) throws {
        if agentsChanged, let agents {
            try db.run("UPDATE indexer_counter SET value = ? WHERE name = 'agents'", [agents])
        }
        for tag in changedTags.sorted() {
            try db.run(
                "INSERT INTO indexer_tag_count (tag, n) VALUES (?, ?) ON CONFLICT (tag) DO UPDATE SET n = excluded.n",
                [tag, tags[tag] ?? 0]
            )
        }
        agentsChanged = false
        changedTags.removeAll()
    }
}
