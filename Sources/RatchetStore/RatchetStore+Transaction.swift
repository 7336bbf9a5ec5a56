import Foundation
import GRDB
import MeshCore
import Ratchet

/// The same operations as `RatchetStore+Operations`, inside a transaction the caller owns: the node encrypts and
/// enqueues, or decrypts and stores, in one commit, so a crash never leaves a used message key without its message.
extension RatchetStore {
    public func prekeys<R: RandomSource>(
        identity: AgentIdentity,
        now: Timestamp,
        random: inout R,
        in db: Database
    ) throws -> PrekeySecrets {
        var prekeys =
            try loadPrekeys(db) ?? PrekeySecrets(identity: identity, schedule: schedule, now: now, random: &random)
        prekeys.rotateIfDue(identity: identity, now: now, random: &random)
        prekeys.replenish(random: &random)
        try savePrekeys(prekeys, db)
        return prekeys
    }

    public func hasSession(with peer: Ed25519.PublicKey, in db: Database) throws -> Bool {
        !(try loadSessions(peer, db).sessions.isEmpty)
    }

    public func startSession<R: RandomSource>(
        identity: AgentIdentity,
        bundle: PrekeyBundle,
        random: inout R,
        in db: Database
    ) throws {
        var sessions = (try? loadSessions(bundle.identityKey, db)) ?? emptySessions(bundle.identityKey)
        try sessions.startSession(identity: identity, bundle: bundle, random: &random)
        try saveSessions(sessions, db)
    }

    public func encrypt<R: RandomSource>(
        _ plaintext: [UInt8],
        to peer: Ed25519.PublicKey,
        random: inout R,
        in db: Database
    ) throws -> RatchetEnvelope {
        var sessions = try loadSessions(peer, db)
        let envelope = try sessions.encrypt(plaintext, random: &random)
        try saveSessions(sessions, db)
        return envelope
    }

    public func receive<R: RandomSource>(
        _ envelope: RatchetEnvelope,
        from peer: Ed25519.PublicKey,
        identity: AgentIdentity,
        now: Timestamp,
        random: inout R,
        in db: Database
    ) throws -> [UInt8] {
        var sessions = try loadSessions(peer, db)
        if envelope.initialHeader == nil {
            // The common case: an established session. The prekeys row is neither read nor rewritten (opening and
            // re-sealing it for every message doubled the sealed state each message cost).
            let plaintext = try sessions.receiveEstablished(envelope, random: &random)
            try saveSessions(sessions, db)
            return plaintext
        }
        var prekeys =
            try loadPrekeys(db) ?? PrekeySecrets(identity: identity, schedule: schedule, now: now, random: &random)
        let plaintext = try sessions.receive(envelope, identity: identity, prekeys: &prekeys, random: &random)
        try saveSessions(sessions, db)
        try savePrekeys(prekeys, db)
        return plaintext
    }
}
