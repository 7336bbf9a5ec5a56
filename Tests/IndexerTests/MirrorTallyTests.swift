import GRDB
import Indexer
import IndexerService
import MeshCore
import Testing

/// The mirror's stored counters (agents overall, agents per tag) are kept in memory for a write transaction and
/// written once at its end (`MirrorTally`). After every kind of write, in batches that touch the same tags and
/// agents several times, they must equal what the rows say, and the per-tag bound must hold inside one batch.
@Suite struct MirrorTallyTests {
    let now = TestRecords.start

    /// The stored counters and the counts the rows give.
    func counters(_ mirror: Mirror) throws -> (stored: [String: Int], rows: [String: Int], agents: Int, rowsAgents: Int)
    {
        try mirror.database.read { db in
            let stored = try Row.fetchAll(db, sql: "SELECT tag, n FROM indexer_tag_count WHERE n > 0")
                .reduce(into: [String: Int]()) { $0[$1["tag"]] = $1["n"] }
            let rows = try Row.fetchAll(db, sql: "SELECT tag, COUNT(*) AS n FROM indexer_tag GROUP BY tag")
                .reduce(into: [String: Int]()) { $0[$1["tag"]] = $1["n"] }
            let agents = try Int.fetchOne(db, sql: "SELECT value FROM indexer_counter WHERE name = 'agents'") ?? -1
            let rowsAgents = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM indexer_agent") ?? -2
            return (stored, rows, agents, rowsAgents)
        }
    }

    func expectConsistent(_ mirror: Mirror, agents: Int, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let counted = try counters(mirror)
        #expect(counted.stored == counted.rows, sourceLocation: sourceLocation)
        #expect(counted.agents == agents, sourceLocation: sourceLocation)
        #expect(counted.rowsAgents == agents, sourceLocation: sourceLocation)
    }

    @Test func countersMatchTheRowsAfterEveryKindOfWrite() async throws {
        let mirror = try Mirror(path: TestRecords.temporaryPath("m.sqlite"))
        // One batch: twelve agents whose synthetic cards share topics and verbs, one of them twice (the second is
        // the same record: a refresh inside the batch).
        let keys = (0..<12).map { TestRecords.key(UInt64(300 + $0)) }
        var batch = try keys.enumerated().map { index, key in
            (document: try TestRecords.document(TestRecords.record(key, index: index)), source: "host-\(index)")
        }
        batch.append(batch[0])
        let first = try await mirror.write(batch, refreshed: [], now: now)
        #expect(first.filter { $0 == .inserted }.count == 12)
        try expectConsistent(mirror, agents: 12)

        // Edits in one batch: three agents republish with other cards (their tags change), one of them twice.
        let edits = try [(0, 40, 2), (1, 41, 2), (0, 42, 3)].map { slot, index, sequence in
            (
                document: try TestRecords.document(
                    TestRecords.record(keys[slot], index: index, sequence: UInt64(sequence))
                ),
                source: "host-\(slot)"
            )
        }
        #expect(try await mirror.write(edits, refreshed: [], now: now) == [.updated, .updated, .updated])
        try expectConsistent(mirror, agents: 12)

        // An agent that asks to be left out, then the sweep for records that expired.
        #expect(try mirror.remove(did: keys[5].publicKey.did, ifOlderThan: 9))
        try expectConsistent(mirror, agents: 11)
        let late = TestRecords.key(400)
        let longer = try TestRecords.document(TestRecords.record(late, index: 7, ttl: .seconds(3_000)))
        #expect(try mirror.ingest([(longer, "host-late")], now: now) == [.inserted])
        #expect(try mirror.expire(now: now + .seconds(601)) == 11)
        try expectConsistent(mirror, agents: 1)
    }

    @Test func theTagBoundHoldsInsideOneBatch() async throws {
        var limits = MirrorLimits()
        limits.maximumAgentsPerTag = 2
        let mirror = try Mirror(path: TestRecords.temporaryPath("m.sqlite"), limits: limits)
        // Index 0, 20, 40, ...: every card's first topic is "translation".
        let batch = try (0..<5).map { slot in
            (
                document: try TestRecords.document(
                    TestRecords.record(TestRecords.key(UInt64(500 + slot)), index: slot * 20)
                ),
                source: "host-\(slot)"
            )
        }
        #expect(try await mirror.write(batch, refreshed: [], now: now).allSatisfy { $0 == .inserted })
        #expect(try counters(mirror).rows["translation"] == 2)
        #expect(try mirror.tagCounts(now: now).first(where: { $0.tag == "translation" })?.count == 2)
        try expectConsistent(mirror, agents: 5)
    }
}
