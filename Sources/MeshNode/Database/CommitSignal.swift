import GRDB

/// Wakes a task after every commit that changed one table, whichever transaction wrote it, without reading
/// anything on the writer.
///
/// GRDB's `ValueObservation` re-fetches its value on the writer connection after each commit, inside
/// `PRAGMA query_only = 1` … `= 0`. Each of those pragmas expires every prepared statement on the connection, so
/// after every commit each of the stores' cached statements compiled again on its next use: 11 % of a sending
/// node's CPU went to `sqlite3Reprepare` (issue 11, `perf` on `meshbench e2e`). A `DatabaseRegionObservation`
/// only notes that the table changed; the reader of the signal does its own reading on a reader connection.
struct CommitSignal: Sendable {
    /// One element per commit that changed the table (consecutive ones coalesce while nobody is reading).
    let commits: AsyncStream<Void>
    private let observation: AnyDatabaseCancellable

    /// Starts watching `table` in `pool`. The stream yields once at the start, so a reader that read its
    /// starting point before this call also catches up on what was committed in between.
    init(table: String, in pool: DatabasePool) async throws {
        let (commits, signal) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        // Started on the writer's queue, so `start` does not block a cooperative thread waiting for it.
        observation = try await pool.writeWithoutTransaction { _ in
            DatabaseRegionObservation(tracking: Table(table)).start(in: pool) { _ in
                signal.finish()
            } onChange: { _ in
                signal.yield()
            }
        }
        signal.yield()
        self.commits = commits
    }

    /// Stops the observation; the stream ends.
    func cancel() {
        observation.cancel()
    }
}
