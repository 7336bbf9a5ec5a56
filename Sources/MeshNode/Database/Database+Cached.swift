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
