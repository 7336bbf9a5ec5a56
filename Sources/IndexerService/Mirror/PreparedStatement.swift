import GRDB
import GRDBSQLite

/// One SQLite statement of the writer's hot path, prepared on the writer's own connection for the length of one
/// write transaction and bound through SQLite's C API.
///
/// Why not GRDB's `cachedStatement` there: an insert is five to ten statements per agent, and through GRDB each
/// one hashed its SQL text to find the cached statement, boxed every argument as an existential, checked the
/// dispatch queue and notified the observation broker. In perf of `meshbench indexer` (100,000 agents) that was
/// about 16 µs of each record's writer time, half of the writer; bound directly it is a few hundred nanoseconds
/// a statement (decision 0117). Everything else the mirror does still goes through GRDB: these statements run only
/// inside a `database.write` transaction that GRDB opened, and they are finalized when the value goes, before the
/// transaction's closure returns.
///
/// Not `Sendable`: it lives inside one write closure on the writer's queue.
final class PreparedStatement {
    private let handle: OpaquePointer
    private let connection: OpaquePointer
    let sql: String

    init(_ sql: String, db: Database) throws {
        guard let connection = db.sqliteConnection else {
            throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "the connection is closed", sql: sql)
        }
        var handle: OpaquePointer?
        let code = sqlite3_prepare_v2(connection, sql, -1, &handle, nil)
        guard code == SQLITE_OK, let handle else {
            sqlite3_finalize(handle)
            throw DatabaseError(
                resultCode: ResultCode(rawValue: code),
                message: String(cString: sqlite3_errmsg(connection)),
                sql: sql
            )
        }
        self.handle = handle
        self.connection = connection
        self.sql = sql
    }

    deinit {
        sqlite3_finalize(handle)
    }

    /// SQLite copies what it is given before the bind returns (`SQLITE_TRANSIENT`), so Swift's buffers need not
    /// outlive the call.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
    /// A pointer for an empty text or blob: SQLite binds NULL for a nil pointer, and the columns are NOT NULL.
    private static let empty: StaticString = ""

    func bind(_ index: Int32, _ value: Int64) throws {
        try check(sqlite3_bind_int64(handle, index, value))
    }

    /// Text up to its first NUL, as GRDB binds a `String` (a C string), so a row reads back the same whichever
    /// path wrote it.
    func bind(_ index: Int32, _ text: String) throws {
        var text = text
        let code = text.withUTF8 { bytes in
            let count = bytes.firstIndex(of: 0) ?? bytes.count
            return sqlite3_bind_text(
                handle,
                index,
                count == 0
                    ? UnsafeRawPointer(Self.empty.utf8Start).assumingMemoryBound(to: CChar.self)
                    : UnsafeRawPointer(bytes.baseAddress!).assumingMemoryBound(to: CChar.self),
                Int32(count),
                Self.transient
            )
        }
        try check(code)
    }

    func bind(_ index: Int32, blob: [UInt8]) throws {
        let code =
            blob.isEmpty
            ? sqlite3_bind_zeroblob(handle, index, 0)
            : blob.withUnsafeBytes { sqlite3_bind_blob(handle, index, $0.baseAddress, Int32($0.count), Self.transient) }
        try check(code)
    }

    /// Runs the statement a step: true with a row to read, false when done. A failure resets it for the next use.
    func step() throws -> Bool {
        switch sqlite3_step(handle) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        case let code:
            defer { reset() }
            throw DatabaseError(
                resultCode: ResultCode(rawValue: code),
                message: String(cString: sqlite3_errmsg(connection)),
                sql: sql
            )
        }
    }

    /// Runs a statement that returns no rows, then resets it.
    func run() throws {
        defer { reset() }
        _ = try step()
    }

    /// The first row's first column as an integer, or nil without a row (or with NULL there); then resets.
    func int64() throws -> Int64? {
        defer { reset() }
        guard try step(), sqlite3_column_type(handle, 0) != SQLITE_NULL else { return nil }
        return sqlite3_column_int64(handle, 0)
    }

    func column(int64 index: Int32) -> Int64 {
        sqlite3_column_int64(handle, index)
    }

    func column(blob index: Int32) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(handle, index))
        guard count > 0, let bytes = sqlite3_column_blob(handle, index) else { return [] }
        return Array(UnsafeRawBufferPointer(start: bytes, count: count))
    }

    /// Ready for the next bindings (SQLite keeps a binding until it is replaced or cleared).
    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    private func check(_ code: Int32) throws {
        guard code == SQLITE_OK else {
            throw DatabaseError(
                resultCode: ResultCode(rawValue: code),
                message: String(cString: sqlite3_errmsg(connection)),
                sql: sql
            )
        }
    }
}
