import CoreMetrics
import GRDB
import Logging
import Synchronization

/// Rows a store cannot read back (a key that no longer parses, a state or kind this version does not know): where a
/// list is read the row is skipped, and where one row is asked for it counts as absent, as before, but no longer
/// silently. Each is logged with its table (the first of a table, then every hundredth) and counted in
/// `meshpeer_node_unreadable_rows_total{table}` on the node's `/metrics`, so that a message held in an outbox row
/// nobody can read shows up somewhere instead of waiting unseen forever.
///
/// Nothing from the row goes in the log: a row may hold ciphertext, keys or an agent's words.
enum UnreadableRows {
    static let logger = Logger(label: "meshpeer.node.store")
    private static let seen = Mutex<[String: Int]>([:])

    /// `parse(row)`, or nil after noting that `table` held a row it could not read.
    static func read<Value>(_ row: Row, table: String, _ parse: (Row) -> Value?) -> Value? {
        if let value = parse(row) { return value }
        note(table: table)
        return nil
    }

    /// How many unreadable rows of `table` this process has met (tests; `/metrics` has the same figure).
    static func count(table: String) -> Int { seen.withLock { $0[table, default: 0] } }

    private static func note(table: String) {
        let count = seen.withLock { seen -> Int in
            seen[table, default: 0] += 1
            return seen[table, default: 0]
        }
        Counter(label: "meshpeer_node_unreadable_rows_total", dimensions: [("table", table)]).increment()
        guard count == 1 || count % 100 == 0 else { return }
        logger.error(
            "a stored row could not be read and was skipped (a damaged database, or one a newer version wrote)",
            metadata: ["table": "\(table)", "occurrences": "\(count)"]
        )
    }
}
