import Foundation
import Kademlia
import MeshCore
import MeshPeer

/// Publishing a private agent's record (decision 0082): sealed for each active invite's slot, and a tombstone over
/// each slot revoked or expired within the last record lifetime.
extension AgentNode {
    /// At most this many sealed records are published at once (each is a lookup and k stores).
    static let concurrentSealedPublishes = 8

    /// Publishes the record sealed for every active invite, and a tombstone (an empty sealed record with a newer
    /// sequence) for every invite revoked within the last record lifetime, so storers drop the revoked slot's
    /// readable copy now rather than at its expiry. Returns how many stores accepted a sealed record, and how many
    /// active slots there were (none: there is nothing to publish, and nothing is missing).
    func publishSealed(_ profile: AgentProfile, sequence: UInt64, now: Timestamp) async -> (accepted: Int, slots: Int) {
        let ttl = Duration.seconds(configuration.recordTTLSeconds)
        let all = await lookUp("invites", or: []) { db in try InviteStore.all(db) }
        var random = SystemRandom()
        var writes: [SealedWrite] = []
        var slots = 0
        for issued in all {
            let slot = InviteSlot(issued.invite)
            if issued.revokedAt == nil && (issued.invite.expiresAt.map { $0 > now } ?? true) {
                slots += 1
                do {
                    let sealed = try profile.sealedRecord(
                        signedBy: identity,
                        slot: slot,
                        sequence: sequence,
                        issuedAt: now,
                        ttl: ttl,
                        random: &random
                    )
                    writes.append(SealedWrite(id: issued.id, key: slot.key, envelope: sealed.envelope, active: true))
                } catch {
                    logger.error("cannot seal the record", metadata: ["invite": "\(issued.id)", "reason": "\(error)"])
                }
            } else {
                // Revoked or expired: overwrite the readable copy until the last one we published has expired.
                let ended = issued.revokedAt ?? issued.invite.expiresAt ?? now
                guard now < ended + ttl,
                    let tombstone = try? AgentNode.tombstone(slot: slot, sequence: sequence, now: now, ttl: ttl)
                else { continue }
                writes.append(SealedWrite(id: issued.id, key: slot.key, envelope: tombstone.envelope, active: false))
            }
        }
        var accepted = 0
        let dht = self.dht
        for start in stride(from: 0, to: writes.count, by: AgentNode.concurrentSealedPublishes) {
            let batch = writes[start..<min(writes.count, start + AgentNode.concurrentSealedPublishes)]
            let results = await withTaskGroup(of: (SealedWrite, Result<Int, any Error>).self) { group in
                for write in batch {
                    group.addTask {
                        do {
                            let result = try await dht.publish { core, now in
                                try core.publish(write.envelope, key: write.key, now: now)
                            }
                            return (write, .success(result?.accepted ?? 0))
                        } catch {
                            return (write, .failure(error))
                        }
                    }
                }
                var results: [(SealedWrite, Result<Int, any Error>)] = []
                for await result in group { results.append(result) }
                return results
            }
            for (write, result) in results {
                switch result {
                case .success(let count): if write.active { accepted += count }
                case .failure(let error):
                    logger.error(
                        "cannot publish a sealed record",
                        metadata: ["invite": "\(write.id)", "reason": "\(error)"]
                    )
                }
            }
        }
        return (accepted, slots)
    }

    /// One sealed record to publish: an active invite's, or a revoked one's tombstone.
    struct SealedWrite: Sendable {
        var id: String
        var key: NodeID
        var envelope: RecordEnvelope
        var active: Bool
    }

    /// An empty sealed record: a holder of the revoked invite reads "revoked", and nothing else is left there.
    static func tombstone(slot: InviteSlot, sequence: UInt64, now: Timestamp, ttl: Duration) throws -> SealedRecord {
        var random = SystemRandom()
        return try SealedRecord.signed(
            by: slot.signingKey,
            sequence: sequence,
            issuedAt: now,
            expiresAt: now + ttl,
            nonce: random.bytes(count: SealedRecord.nonceByteCount),
            ciphertext: []
        )
    }
}
