import Foundation
import GRDB
import Kademlia
import MeshCore
import MeshPeer

/// Invites to a private agent (docs/exposure.md, decisions 0082 and 0083): making, listing and revoking them on the
/// owner's side, and finding an agent with one. Publishing the sealed records is AgentNode+Sealed.swift's.
extension AgentNode {
    /// The time limits an invite holder applies to the agent record inside a sealed one: the DHT's own.
    static let sealedRecordLimits = RecordLimits(maximumLifetime: .seconds(7_200), maximumClockSkew: .seconds(120))

    public func createInvite(_ request: InviteCreateRequest) async throws(NodeAPIError) -> InviteSummary {
        guard configuration.exposure == .private else {
            throw NodeAPIError(
                .conflict,
                "invites are for a private agent; this one is \(configuration.exposure.rawValue) (config.json `exposure`)"
            )
        }
        if let label = request.label, label.utf8.count > InviteCreateRequest.maximumLabelBytes {
            throw NodeAPIError(.badRequest, "a label is at most \(InviteCreateRequest.maximumLabelBytes) bytes")
        }
        if let seconds = request.expiresInSeconds, !InviteCreateRequest.expiryRange.contains(seconds) {
            throw NodeAPIError(.badRequest, "expires_in_seconds must be within \(InviteCreateRequest.expiryRange)")
        }
        let now = self.now
        var random = SystemRandom()
        let invite: Invite
        do {
            invite = try Invite.make(
                for: identity.publicKey,
                expiresAt: request.expiresInSeconds.map { now + .seconds($0) },
                random: &random
            )
        } catch {
            throw NodeAPIError(.badRequest, error.reason)
        }
        let issued = IssuedInvite(
            id: InviteSlot(invite).id,
            invite: invite,
            label: request.label,
            createdAt: now,
            revokedAt: nil
        )
        do {
            try await database.pool.write { db in
                guard try InviteStore.countActive(now: now, db) < InviteStore.maximumActive else {
                    throw NodeAPIError(
                        .conflict,
                        "at most \(InviteStore.maximumActive) active invites; revoke one first"
                    )
                }
                try InviteStore.forgetEnded(before: now - .seconds(7 * 24 * 3600), db)
                try InviteStore.insert(issued, db)
            }
        } catch let error as NodeAPIError {
            throw error
        } catch {
            throw NodeAPIError(.unavailable, "the invite was not stored: \(error)")
        }
        logger.info("invite created", metadata: ["invite": "\(issued.id)"])
        await publishRecord(reason: "invite created")
        var summary = AgentNode.summary(of: issued, now: now)
        summary.invite = invite.text
        return summary
    }

    public func invites() async throws(NodeAPIError) -> [InviteSummary] {
        let now = self.now
        do {
            return try await database.pool.read { db in try InviteStore.all(db) }.map {
                AgentNode.summary(of: $0, now: now)
            }
        } catch {
            throw NodeAPIError(.unavailable, "the invites cannot be read: \(error)")
        }
    }

    /// Stops publishing the invite's slot, overwrites it with a tombstone, and republishes the remaining slots with
    /// a new sequence. The other invites keep working: each has its own secret, which the revoked holder never saw.
    public func revokeInvite(id: String) async throws(NodeAPIError) -> InviteSummary {
        let now = self.now
        let revoked: IssuedInvite?
        do {
            revoked = try await database.pool.write { db -> IssuedInvite? in
                guard let issued = try InviteStore.invite(id: id, db) else { return nil }
                guard issued.revokedAt == nil else { throw NodeAPIError(.conflict, "invite \(id) is already revoked") }
                _ = try InviteStore.revoke(id: id, now: now, db)
                return try InviteStore.invite(id: id, db)
            }
        } catch let error as NodeAPIError {
            throw error
        } catch {
            throw NodeAPIError(.unavailable, "the invite was not revoked: \(error)")
        }
        guard let revoked else { throw NodeAPIError(.notFound, "no invite \(id)") }
        logger.info("invite revoked", metadata: ["invite": "\(id)"])
        await publishRecord(reason: "invite revoked")
        return AgentNode.summary(of: revoked, now: now)
    }

    public func resolveInvite(_ request: InviteResolveRequest) async throws(NodeAPIError) -> AgentSummary {
        let invite: Invite
        do {
            invite = try Invite.parse(request.invite)
            try invite.checkExpiry(now: now)
        } catch {
            throw NodeAPIError(error.code == .expired ? .forbidden : .badRequest, error.description)
        }
        guard invite.agentKey != identity.publicKey else {
            throw NodeAPIError(.badRequest, "this invite leads to this agent itself")
        }
        let record: AgentRecord
        do {
            record = try await sealedAgentRecord(invite)
        } catch {
            throw NodeAPIError(error.code == .notFound ? .notFound : .forbidden, error.description)
        }
        let now = self.now
        await persist("remembering an invite") { db in try InviteStore.hold(invite, now: now, db) }
        do {
            return try await summary(of: record)
        } catch {
            throw NodeAPIError(.forbidden, "the record the invite leads to does not verify: \(error)")
        }
    }

    /// Looks the invite's slot up and opens what is there.
    func sealedAgentRecord(_ invite: Invite) async throws(InviteError) -> AgentRecord {
        let slot = InviteSlot(invite)
        guard let sealed = await dht.sealedRecord(key: slot.key) else {
            throw InviteError(.notFound, "nothing is published under this invite (revoked, or the agent is offline)")
        }
        guard !sealed.ciphertext.isEmpty else { throw InviteError(.revoked, "the owner revoked this invite") }
        return try SealedAgentRecord.open(
            sealed,
            slot: slot,
            did: invite.did,
            now: now,
            limits: AgentNode.sealedRecordLimits
        )
    }

    /// The record for `did`: through the invite that found it here, if there is one (a private agent has nothing
    /// under its DID key, so that lookup would only time out), else under its DID key.
    func lookUpRecord(did: String) async -> AgentRecord? {
        if let invite = await lookUp("held invite", or: nil, { db in try InviteStore.held(did: did, db) }),
            let record = try? await sealedAgentRecord(invite)
        {
            return record
        }
        return await dht.agentRecord(did: did)
    }

    static func summary(of issued: IssuedInvite, now: Timestamp) -> InviteSummary {
        let state =
            issued.revokedAt != nil
            ? "revoked" : (issued.invite.expiresAt.map { $0 <= now } ?? false) ? "expired" : "active"
        return InviteSummary(
            id: issued.id,
            label: issued.label,
            createdAt: APITime.format(issued.createdAt),
            expiresAt: issued.invite.expiresAt.map(APITime.format),
            revokedAt: issued.revokedAt.map(APITime.format),
            state: state
        )
    }
}
