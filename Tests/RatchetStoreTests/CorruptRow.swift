import GRDB

/// Damages every stored session row (drops its last byte), as a disk error would.
func corruptSessionRow(path: String) throws {
    let database = try DatabaseQueue(path: path)
    try database.write { db in
        try db.execute(sql: "UPDATE ratchet_sessions SET sealed = substr(sealed, 1, length(sealed) - 1)")
    }
}
