import Foundation
import GRDB
import Kademlia
import MeshCore

/// The routing-table snapshot: the table's verified contacts, so a restart rejoins through them.
extension SQLiteRecordStore {
    /// At most this many contacts are read back (a table holds 256 buckets of k; more rows were not ours).
    public static let maximumSnapshotContacts = 256 * 20

    /// Replaces the saved contacts with `contacts`; throws what SQLite said.
    public func saveContacts(_ contacts: [Contact], now: Timestamp) throws {
        try database.write { db in try Self.replaceContacts(contacts, now: now, db) }
    }

    /// Saves a snapshot through GRDB's writer queue (no thread blocks); a failure is counted in `health` and
    /// logged, not thrown. Returns whether it was saved. Called every 30 s and once more at shutdown.
    @discardableResult
    public func saveSnapshot(_ contacts: [Contact], now: Timestamp) async -> Bool {
        do {
            try await database.write { db in try Self.replaceContacts(contacts, now: now, db) }
            return true
        } catch {
            noteSnapshotFailure(error)
            return false
        }
    }

    static func replaceContacts(_ contacts: [Contact], now: Timestamp, _ db: Database) throws {
        try db.execute(sql: "DELETE FROM contact")
        for contact in contacts.prefix(maximumSnapshotContacts) {
            try db.execute(
                sql: "INSERT INTO contact (id, address, savedMs) VALUES (?, ?, ?)",
                arguments: [Data(contact.id.bytes), Data(contact.address.wireBytes), now.millisecondsSinceEpoch]
            )
        }
    }

    /// The saved contacts, newest first; rows that no longer decode are skipped, counted (`contactsSkippedOnLoad`,
    /// `meshpeer_dht_store_contacts_skipped_on_load_total`) and logged.
    public func loadContacts() throws -> [Contact] {
        let rows = try database.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT id, address FROM contact ORDER BY savedMs DESC LIMIT ?",
                arguments: [Self.maximumSnapshotContacts]
            ).map { row in (Array(row["id"] ?? Data()), Array(row["address"] ?? Data())) }
        }
        let contacts = rows.compactMap { id, address -> Contact? in
            guard let id = try? NodeID(bytes: id), let address = try? TransportAddress(wireBytes: address) else {
                return nil
            }
            return Contact(id: id, address: address)
        }
        if contacts.count < rows.count { noteContactsSkipped(rows.count - contacts.count) }
        return contacts
    }
}
