import Foundation
import GRDB
import MeshCore
import Ratchet

extension RatchetStore {
    /// The prekey secrets, created (and saved) on first use; rotated and topped up when due.
    public func prekeys<R: RandomSource>(
        identity: AgentIdentity,
        now: Timestamp,
        random: inout R
    ) throws -> PrekeySecrets {
        var generator = random
        defer { random = generator }
        return try database.write { db in
            try prekeys(identity: identity, now: now, random: &generator, in: db)
        }
    }

    /// The sessions with `peer` (empty when there are none). Throws `corruptState` for an unreadable row.
    public func sessions(with peer: Ed25519.PublicKey) throws -> PeerSessions {
        try database.read { db in try loadSessions(peer, db) }
    }

    /// Starts a session from the peer's bundle (first contact or a re-handshake) and saves it.
    public func startSession<R: RandomSource>(
        identity: AgentIdentity,
        bundle: PrekeyBundle,
        random: inout R
    ) throws {
        var generator = random
        defer { random = generator }
        try database.write { db in try startSession(identity: identity, bundle: bundle, random: &generator, in: db) }
    }

    /// Encrypts for `peer` and records the used message key before returning the envelope.
    public func encrypt<R: RandomSource>(
        _ plaintext: [UInt8],
        to peer: Ed25519.PublicKey,
        random: inout R
    ) throws -> RatchetEnvelope {
        var generator = random
        defer { random = generator }
        return try database.write { db in try encrypt(plaintext, to: peer, random: &generator, in: db) }
    }

    /// Decrypts an envelope from `peer`; sessions and prekeys change only if it decrypts, in one transaction.
    public func receive<R: RandomSource>(
        _ envelope: RatchetEnvelope,
        from peer: Ed25519.PublicKey,
        identity: AgentIdentity,
        now: Timestamp,
        random: inout R
    ) throws -> [UInt8] {
        var generator = random
        defer { random = generator }
        return try database.write { db in
            try receive(envelope, from: peer, identity: identity, now: now, random: &generator, in: db)
        }
    }

    /// Forgets every session with `peer` (after a corrupt row, before a re-handshake).
    public func deleteSessions(with peer: Ed25519.PublicKey) throws {
        try database.write { db in
            try db.execute(
                sql: "DELETE FROM ratchet_sessions WHERE peer = ?",
                arguments: [Data(peer.rawRepresentation)]
            )
        }
    }

    func emptySessions(_ peer: Ed25519.PublicKey) -> PeerSessions {
        PeerSessions(remoteIdentity: peer, limits: limits)
    }

    func loadSessions(_ peer: Ed25519.PublicKey, _ db: Database) throws -> PeerSessions {
        let rowKey = peer.rawRepresentation
        guard
            // Cached: this and the save below run for every message sent or received (issue 11).
            let sealed = try Data.fetchOne(
                db.cachedStatement(sql: "SELECT sealed FROM ratchet_sessions WHERE peer = ?"),
                arguments: [Data(rowKey)]
            )
        else { return emptySessions(peer) }
        let state = try sealer.open(sealed, table: "ratchet_sessions", rowKey: rowKey)
        return try PeerSessions(decodingState: state, remoteIdentity: peer, limits: limits)
    }

    func saveSessions(_ sessions: PeerSessions, _ db: Database) throws {
        let rowKey = sessions.remoteIdentity.rawRepresentation
        let sealed = try sealer.seal(sessions.encodedState(), table: "ratchet_sessions", rowKey: rowKey)
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO ratchet_sessions (peer, sealed) VALUES (?, ?)")
            .execute(arguments: [Data(rowKey), sealed])
    }

    func loadPrekeys(_ db: Database) throws -> PrekeySecrets? {
        guard let sealed = try Data.fetchOne(db, sql: "SELECT sealed FROM ratchet_prekeys WHERE id = 1") else {
            return nil
        }
        return try PrekeySecrets(
            decodingState: sealer.open(sealed, table: "ratchet_prekeys", rowKey: [1]),
            schedule: schedule
        )
    }

    func savePrekeys(_ prekeys: PrekeySecrets, _ db: Database) throws {
        let sealed = try sealer.seal(prekeys.encodedState(), table: "ratchet_prekeys", rowKey: [1])
        try db.execute(sql: "INSERT OR REPLACE INTO ratchet_prekeys (id, sealed) VALUES (1, ?)", arguments: [sealed])
    }
}
