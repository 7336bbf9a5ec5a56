import Foundation
import GRDB
import MeshCore
import MeshPeer
import Synchronization

/// One agent this node may exchange messages with: its knock was accepted here, or it accepted ours.
public struct Contact: Hashable, Sendable {
    public var did: String
    public var publicKey: Ed25519.PublicKey
    public var name: String?
    /// The relays where it receives (from its knock, its decision notice, or its record), best first.
    public var homes: [String]
    public var since: Timestamp
    /// The sequence number our next message to it carries (per conversation, from 1).
    public var nextSendSequence: UInt64
    /// The sequence number we expect next from it; later ones wait until the gap fills or times out.
    public var nextReceiveSequence: UInt64
    public var lastMessageAt: Timestamp?
    /// How far we trust it (decision 0093): `knocked-accepted` until the first message, then `contact`;
    /// `owner-verified` when its owner certificate verified as its knock was accepted.
    public var tier: TrustTier = .contact
    /// The certificate that made it `owner-verified`, so the tier ends when it expires or is revoked
    /// (`TrustTier.current`); nil for other tiers and for contacts verified before it was kept.
    public var ownerCertificate: OwnerCertificate?
}

/// Contacts in `node_contacts`. Functions take a `Database` so callers compose them into one transaction.
enum ContactStore {
    static func registerMigrations(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("contacts-v1") { db in
            try db.create(table: "node_contacts") { table in
                table.column("did", .text).primaryKey()
                table.column("public_key", .blob).notNull().unique()
                table.column("name", .text)
                table.column("homes", .text).notNull()
                table.column("since_ms", .integer).notNull()
                table.column("next_send_seq", .integer).notNull()
                table.column("next_recv_seq", .integer).notNull()
                table.column("last_message_ms", .integer)
            }
        }
        migrator.registerMigration("contacts-v2-tier") { db in
            try db.alter(table: "node_contacts") { table in
                table.add(column: "tier", .text).notNull().defaults(to: TrustTier.contact.rawValue)
            }
        }
        migrator.registerMigration("contacts-v3-owner-certificate") { db in
            try db.alter(table: "node_contacts") { table in table.add(column: "owner_certificate", .blob) }
        }
    }

    /// Sets a new contact's tier (the knock that made it decides).
    static func setTier(did: String, _ tier: TrustTier, _ db: Database) throws {
        try db.executeCached(sql: "UPDATE node_contacts SET tier = ? WHERE did = ?", arguments: [tier.rawValue, did])
    }

    /// Keeps the certificate a contact's tier rests on.
    static func setCertificate(did: String, _ certificate: OwnerCertificate, _ db: Database) throws {
        try db.executeCached(
            sql: "UPDATE node_contacts SET owner_certificate = ? WHERE did = ?",
            arguments: [Data(certificate.encoded()), did]
        )
    }

    static func contact(did: String, _ db: Database) throws -> Contact? {
        try Row.decodeOne(cached: db, sql: "SELECT * FROM node_contacts WHERE did = ?", arguments: [did], decode)
    }

    static func contact(key: Ed25519.PublicKey, _ db: Database) throws -> Contact? {
        try Row.decodeOne(
            cached: db,
            sql: "SELECT * FROM node_contacts WHERE public_key = ?",
            arguments: [Data(key.rawRepresentation)],
            decode
        )
    }

    static func all(_ db: Database) throws -> [Contact] {
        try Row.decodeAll(cached: db, sql: "SELECT * FROM node_contacts ORDER BY since_ms", decode)
    }

    static func count(_ db: Database) throws -> Int {
        try Int.fetchOne(cached: db, sql: "SELECT COUNT(*) FROM node_contacts") ?? 0
    }

    /// Adds the contact, or refreshes its name and homes if it exists (its sequence numbers are kept).
    static func upsert(
        did: String,
        key: Ed25519.PublicKey,
        name: String?,
        homes: [String],
        now: Timestamp,
        _ db: Database
    )
        throws
    {
        try db.executeCached(
            sql: """
                INSERT INTO node_contacts (did, public_key, name, homes, since_ms, next_send_seq, next_recv_seq)
                VALUES (?, ?, ?, ?, ?, 1, 1)
                ON CONFLICT(did) DO UPDATE SET name = COALESCE(excluded.name, name),
                    homes = CASE WHEN excluded.homes = '[]' THEN homes ELSE excluded.homes END
                """,
            arguments: [did, Data(key.rawRepresentation), name, encodeHomes(homes), now.millisecondsSinceEpoch]
        )
    }

    static func updateHomes(did: String, homes: [String], _ db: Database) throws {
        guard !homes.isEmpty else { return }
        try db.executeCached(
            sql: "UPDATE node_contacts SET homes = ? WHERE did = ?",
            arguments: [encodeHomes(homes), did]
        )
    }

    /// Takes the next send sequence number (and advances it) inside the caller's transaction.
    static func takeSendSequence(did: String, _ db: Database) throws -> UInt64 {
        guard
            let current = try Int64.fetchOne(
                cached: db,
                sql: "SELECT next_send_seq FROM node_contacts WHERE did = ?",
                arguments: [did]
            )
        else { throw NodeAPIError(.notFound, "\(did) is not a contact") }
        try db.executeCached(
            sql: "UPDATE node_contacts SET next_send_seq = ? WHERE did = ?",
            arguments: [current + 1, did]
        )
        return UInt64(current)
    }

    static func setReceiveSequence(did: String, _ next: UInt64, _ db: Database) throws {
        try db.executeCached(
            sql: "UPDATE node_contacts SET next_recv_seq = ? WHERE did = ?",
            arguments: [Int64(next), did]
        )
    }

    static func touch(did: String, now: Timestamp, _ db: Database) throws {
        try db.executeCached(
            sql: """
                UPDATE node_contacts SET last_message_ms = ?,
                    tier = CASE WHEN tier = ? THEN ? ELSE tier END
                WHERE did = ?
                """,
            arguments: [
                now.millisecondsSinceEpoch, TrustTier.knockedAccepted.rawValue, TrustTier.contact.rawValue, did,
            ]
        )
    }

    /// A row of `node_contacts`, or nil (noted by `UnreadableRows`) when it cannot be read.
    static func decode(_ row: Row) -> Contact? { UnreadableRows.read(row, table: "node_contacts", parse) }

    static func parse(_ row: Row) -> Contact? {
        guard let keyData = row["public_key"] as Data?,
            let key = try? Ed25519.PublicKey(rawRepresentation: [UInt8](keyData)),
            let homes = decodeHomes(row["homes"])
        else { return nil }
        return Contact(
            did: row["did"],
            publicKey: key,
            name: row["name"],
            homes: homes,
            since: Timestamp(milliseconds: row["since_ms"]),
            nextSendSequence: UInt64(row["next_send_seq"] as Int64),
            nextReceiveSequence: UInt64(row["next_recv_seq"] as Int64),
            lastMessageAt: (row["last_message_ms"] as Int64?).map(Timestamp.init(milliseconds:)),
            tier: (row["tier"] as String?).flatMap(TrustTier.init(rawValue:)) ?? .contact,
            ownerCertificate: (row["owner_certificate"] as Data?).flatMap {
                try? OwnerCertificate(decoding: [UInt8]($0))
            }
        )
    }

    static func encodeHomes(_ homes: [String]) -> String {
        (try? String(decoding: JSONEncoder().encode(homes), as: UTF8.self)) ?? "[]"
    }

    /// Home lists already decoded, by their stored text: every outbox row to a peer stores the same list as its
    /// contact row, so one parse serves them all (a JSON parse per row read was 3.4 % of a sending node's CPU,
    /// issue 11). At most `decodedHomesLimit` lists; the cache starts over when full. Only lists that decoded are
    /// kept, so each read of a damaged one is counted again.
    private static let decodedHomes = Mutex<[String: [String]]>([:])
    static let decodedHomesLimit = 1_024
    static var decodedHomesCount: Int { decodedHomes.withLock { $0.count } }

    /// The stored list (none when the column is NULL), or nil when the text is not a JSON list of strings: the
    /// row's parser then reports the whole row unreadable (`UnreadableRows`), so a damaged list is counted and
    /// logged instead of silently becoming "no relays", which would leave a message waiting for ever.
    static func decodeHomes(_ text: String?) -> [String]? {
        guard let text else { return [] }
        if let known = decodedHomes.withLock({ $0[text] }) { return known }
        let homes: [String]
        do {
            homes = try JSONDecoder().decode([String].self, from: Data(text.utf8))
        } catch {
            return nil
        }
        decodedHomes.withLock { cache in
            if cache.count >= decodedHomesLimit { cache.removeAll(keepingCapacity: true) }
            cache[text] = homes
        }
        return homes
    }
}

extension Timestamp {
    init(milliseconds: Int64) { self.init(nanosecondsSinceEpoch: milliseconds * 1_000_000) }
}
