import GRDB
import GRDBSQLite
import MeshCore
import MeshPeer
import Testing

@testable import MeshNode

/// The audit feed's wake-up (`CommitSignal`) in a real node.sqlite: it wakes on each commit to the audit log, and
/// unlike the `ValueObservation` it replaced, it leaves the writer's compiled statements alone.
@Suite struct CommitSignalTests {
    let start = Timestamp(secondsSinceEpoch: 1_800_000_000)

    /// One audit entry per transaction, as the node's sends write them.
    func appendEntries(_ count: Int, to party: LedgerParty) async throws {
        let node = party.identity.publicKey
        for index in 0..<count {
            let now = start + .seconds(Int64(index))
            try await party.database.pool.write { db in
                _ = try AuditStore.append(
                    AuditEntry.Record(kind: .messageSent, peer: "did:key:z6Mk\(index)", intent: "chat.message"),
                    node: node,
                    now: now,
                    db
                )
            }
        }
    }

    /// How often the writer had to compile the audit log's insert again since it was first compiled.
    func reprepares(_ party: LedgerParty) async throws -> Int32 {
        try await party.database.pool.write { db in
            let statement = try db.cachedStatement(sql: AuditStore.insertSQL)
            return sqlite3_stmt_status(statement.sqliteStatement, Int32(SQLITE_STMTSTATUS_REPREPARE), 0)
        }
    }

    /// Whether a signal came, waiting at most 30 s (a deadline, not a synchronisation: a working signal is
    /// already there or comes with the commit).
    func signalled(_ signal: CommitSignal) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                var iterator = signal.commits.makeAsyncIterator()
                return await iterator.next() != nil
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(30))
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    @Test func aCommitToTheLogWakesTheReader() async throws {
        let party = try LedgerParty("signal", seed: 31)
        let signal = try await CommitSignal(table: "node_audit", in: party.database.pool)
        defer { signal.cancel() }
        // The first element covers what was committed before the observation started.
        #expect(await signalled(signal))
        try await appendEntries(1, to: party)
        #expect(await signalled(signal))
    }

    @Test func commitsLeaveTheWritersCompiledStatementsAlone() async throws {
        let party = try LedgerParty("signal", seed: 32)
        let signal = try await CommitSignal(table: "node_audit", in: party.database.pool)
        defer { signal.cancel() }
        try await appendEntries(50, to: party)
        #expect(try await reprepares(party) == 0)
    }

    /// The cause, kept as a canary: a `ValueObservation` on the same log recompiles the writer's statements
    /// after every commit. If a GRDB upgrade stops doing so, this fails and the note in `CommitSignal` is stale.
    @Test func aValueObservationRecompilesThemAfterEveryCommit() async throws {
        let party = try LedgerParty("signal", seed: 33)
        let observation = ValueObservation.tracking { db in
            try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM node_audit") ?? 0
        }
        let watch = observation.start(in: party.database.pool, scheduling: .async(onQueue: .global())) { _ in
        } onChange: { _ in
        }
        defer { watch.cancel() }
        try await appendEntries(50, to: party)
        #expect(try await reprepares(party) >= 40)
    }
}
