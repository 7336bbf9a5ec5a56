import Foundation
import GRDB

/// Small named values the node keeps across restarts: its record's sequence number, its knock tokens.
enum NodeMetaStore {
    static func registerMigrations(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("node-meta-v1") { db in
            try db.create(table: "node_meta") { table in
                table.column("key", .text).primaryKey()
                table.column("value", .blob).notNull()
            }
        }
    }

    static func get(_ key: String, _ db: Database) throws -> [UInt8]? {
        try Data.fetchOne(cached: db, sql: "SELECT value FROM node_meta WHERE key = ?", arguments: [key]).map {
            [UInt8]($0)
        }
    }

    static func set(_ key: String, _ value: [UInt8], _ db: Database) throws {
        try db.executeCached(
            sql: "INSERT OR REPLACE INTO node_meta (key, value) VALUES (?, ?)",
            arguments: [key, Data(value)]
        )
    }

    static func integer(_ key: String, _ db: Database) throws -> UInt64 {
        guard let bytes = try get(key, db), bytes.count == 8 else { return 0 }
        return bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }

    static func setInteger(_ key: String, _ value: UInt64, _ db: Database) throws {
        try set(key, (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * $0)) }, db)
    }
}
