import GRDB

/// The stores' statements, compiled once per connection and kept in GRDB's statement cache.
///
/// `db.execute(sql:)` and `Row.fetchOne(db, sql:)` compile their SQL on every call (parse, plan, and GRDB's
/// authorizer callback per column). On the message path that compiling was 17 % of a sender's CPU and 29 % of a
/// recipient's (issue 11), for the same dozen statements run again and again. These take the same arguments and
/// return the same values; use them for fixed SQL with `?` placeholders (not for SQL built per call, which would
/// only fill the cache, and not in migrations).
extension Database {
    func executeCached(sql: String, arguments: StatementArguments = StatementArguments()) throws {
        try cachedStatement(sql: sql).execute(arguments: arguments)
    }
}

extension Row {
    static func fetchOne(
        cached db: Database,
        sql: String,
        arguments: StatementArguments = StatementArguments()
    )
        throws -> Row?
    {
        try fetchOne(db.cachedStatement(sql: sql), arguments: arguments)
    }

    static func fetchAll(
        cached db: Database,
        sql: String,
        arguments: StatementArguments = StatementArguments()
    )
        throws -> [Row]
    {
        try fetchAll(db.cachedStatement(sql: sql), arguments: arguments)
    }
}

extension Row {
    /// Each row of a cached statement, decoded while the statement is on it.
    ///
    /// A row GRDB copies out (`fetchAll`, `fetchOne`) finds a column by name by lowercasing every column name up to
    /// the one asked for, on each access; a parser that reads a dozen columns by name did that a hundred times a row,
    /// on every message (`String.lowercased` was 2 % of a sender's CPU). A statement's own row looks names up in a
    /// table built once. `decode` must not keep the row: it is the statement's, and moves on with it.
    static func decodeAll<Value>(
        cached db: Database,
        sql: String,
        arguments: StatementArguments = StatementArguments(),
        _ decode: (Row) throws -> Value?
    ) throws -> [Value] {
        let rows = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: arguments)
        var values: [Value] = []
        while let row = try rows.next() {
            if let value = try decode(row) { values.append(value) }
        }
        return values
    }

    /// The first row of a cached statement, decoded as `decodeAll` does.
    static func decodeOne<Value>(
        cached db: Database,
        sql: String,
        arguments: StatementArguments = StatementArguments(),
        _ decode: (Row) throws -> Value?
    ) throws -> Value? {
        let rows = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: arguments)
        guard let row = try rows.next() else { return nil }
        return try decode(row)
    }
}

extension DatabaseValueConvertible {
    static func fetchOne(
        cached db: Database,
        sql: String,
        arguments: StatementArguments = StatementArguments()
    )
        throws -> Self?
    {
        try fetchOne(db.cachedStatement(sql: sql), arguments: arguments)
    }

    static func fetchAll(
        cached db: Database,
        sql: String,
        arguments: StatementArguments = StatementArguments()
    )
        throws -> [Self]
    {
        try fetchAll(db.cachedStatement(sql: sql), arguments: arguments)
    }
}
