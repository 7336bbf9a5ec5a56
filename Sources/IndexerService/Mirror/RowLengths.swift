import Foundation
import GRDB
import Synchronization

/// Every FTS row's length in tokens (all columns), kept in memory so the ranking reads an array instead of running
/// FTS5's nested `%_docsize` lookup per match, which was two thirds of a common word's query time (decision 0109).
///
/// The array is exact for one state of the file, `published`: the value of the `generation` counter that every
/// write transaction of the mirror raises. A query reads the counter in its own read transaction and uses the
/// array only if it was published for that very generation; otherwise (a write committed but not yet published,
/// a reader on an older snapshot, a write by another process) its rows fall back to FTS5's own lengths. So the
/// lengths a query uses are always those of the snapshot it reads, and the scores equal FTS5's `bm25` exactly.
///
/// A write transaction starts with `begin`, which raises the counter, and records each FTS row it inserts or
/// deletes with `stage`; the changes are published after the commit (GRDB's `afterNextTransaction`, on the
/// writer's queue, before any later write) and dropped on rollback. If the file's counter is not the one
/// published (another process wrote), `begin` reloads the whole array from `%_docsize` inside the transaction.
/// `Sendable`: all state is behind the mutex.
final class RowLengths: Sendable {
    /// Rowids above this are not kept (they fall back): bounds the array whatever the churn of agent ids.
    let maximumRowid: Int64

    private struct State {
        /// The lengths of `published`, by rowid; -1 where unknown.
        var lengths: [Int32] = []
        var published: Int64 = -1
        /// The open write transaction's copy and its generation, until it commits or rolls back.
        var staged: [Int32]?
        var stagedGeneration: Int64 = -1
    }

    private let state = Mutex(State())

    init(maximumRowid: Int64) {
        self.maximumRowid = maximumRowid
    }

    /// The lengths to rank a query with whose read transaction saw `generation`, or nil (use FTS5's).
    func lengths(at generation: Int64) -> [Int32]? {
        state.withLock { $0.published == generation ? $0.lengths : nil }
    }

    /// Loads every length at the file's current generation (a read transaction, at open).
    func load(_ db: Database) throws {
        let generation = try Mirror.generation(db)
        let lengths = try read(db)
        state.withLock {
            $0.lengths = lengths
            $0.published = generation
        }
    }

    /// Starts tracking a write transaction: raises the generation and stages a copy of the lengths (reloaded if
    /// the file was changed by someone else). Published on commit, dropped on rollback.
    func begin(_ db: Database) throws {
        let current = try Mirror.generation(db)
        let next = current + 1
        try db.execute(sql: "UPDATE indexer_counter SET value = ? WHERE name = 'generation'", arguments: [next])
        let known = state.withLock { $0.published == current ? $0.lengths : nil }
        let staged = try known ?? read(db)
        state.withLock {
            $0.staged = staged
            $0.stagedGeneration = next
        }
        db.afterNextTransaction(
            onCommit: { [self] _ in
                state.withLock {
                    guard let staged = $0.staged, $0.stagedGeneration == next else { return }
                    $0.lengths = staged
                    $0.published = next
                    $0.staged = nil
                }
            },
            onRollback: { [self] _ in
                state.withLock {
                    $0.staged = nil
                    $0.stagedGeneration = -1
                }
            }
        )
    }

    /// Records the length of FTS row `rowid` as inserted in this transaction (nil: deleted).
    func stage(rowid: Int64, db: Database) throws {
        guard tracks(rowid: rowid) else { return }
        stage(rowid: rowid, length: try Self.length(rowid: rowid, db: db))
    }

    /// Whether row `rowid`'s length is kept (the others fall back to FTS5's).
    func tracks(rowid: Int64) -> Bool {
        rowid >= 0 && rowid <= maximumRowid
    }

    /// Records `length` (read by the caller from `%_docsize` in this transaction; nil: deleted) for `rowid`.
    func stage(rowid: Int64, length: Int32?) {
        guard tracks(rowid: rowid) else { return }
        state.withLock { state in
            guard state.staged != nil else { return }
            let index = Int(rowid)
            if index >= state.staged!.count {
                guard length != nil else { return }
                state.staged!.append(contentsOf: repeatElement(-1, count: index + 1 - state.staged!.count))
            }
            state.staged![index] = length ?? -1
        }
    }

    /// One row's total length from `%_docsize` (a varint per column), or nil when the row is not there.
    static func length(rowid: Int64, db: Database) throws -> Int32? {
        let statement = try db.cachedStatement(sql: "SELECT sz FROM indexer_fts_docsize WHERE id = ?")
        guard let blob = try Data.fetchOne(statement, arguments: [rowid]) else { return nil }
        return total(of: blob)
    }

    /// Every row's length, by rowid (up to `maximumRowid`).
    private func read(_ db: Database) throws -> [Int32] {
        var lengths: [Int32] = []
        let rows = try Row.fetchCursor(
            db,
            sql: "SELECT id, sz FROM indexer_fts_docsize WHERE id BETWEEN 0 AND ? ORDER BY id",
            arguments: [maximumRowid]
        )
        while let row = try rows.next() {
            let id: Int64 = row[0]
            let blob: Data = row[1] ?? Data()
            let index = Int(id)
            if index >= lengths.count {
                lengths.append(contentsOf: repeatElement(-1, count: index + 1 - lengths.count))
            }
            lengths[index] = Self.total(of: blob)
        }
        return lengths
    }

    /// The sum of the varints in a `%_docsize` blob (FTS5's token count per column, SQLite's big-endian varint:
    /// seven bits a byte while the top bit is set, all eight in a ninth byte), saturating at `Int32.max`.
    static func total(of blob: some Collection<UInt8>) -> Int32 {
        var sum: Int64 = 0
        var value: UInt64 = 0
        var count = 0
        for byte in blob {
            count += 1
            if count == 9 {
                value = (value << 8) | UInt64(byte)
            } else {
                value = (value << 7) | UInt64(byte & 0x7f)
                if byte & 0x80 != 0 { continue }
            }
            sum = min(sum + Int64(min(value, UInt64(Int32.max))), Int64(Int32.max))
            value = 0
            count = 0
        }
        return Int32(sum)
    }
}
