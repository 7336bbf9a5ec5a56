import Kademlia
import MeshCore
import MeshDHT
import MeshPeer

/// Looking up owners' own revocation records (decision 0100): at knock time for the owners the policy names, and
/// for the owners of owner-verified contacts when the contact list is read, so a revocation learnt later ends the
/// tier. Answers are cached (`OwnerRevocationCache`); each round of lookups is bounded in time.
extension AgentNode {
    /// How long one round of owner lookups may hold up a knock decision; an owner not answered in time counts as
    /// "nothing found" for `OwnerRevocationCache.missingFor`.
    static let ownerLookupTimeout: Duration = .seconds(3)

    /// Every revocation learnt from `owners`' records, after looking up those whose cached answer is stale (a knock
    /// decision waits for this, bounded by `ownerLookupTimeout`: it must not admit on a revoked certificate).
    func ownerRevocations(of owners: Set<Ed25519.PublicKey>) async -> [OwnerRevocation] {
        let owed = ownerRevocationCache.owed(owners, now: now)
        if !owed.isEmpty { await learnOwnerRecords(owed) }
        return ownerRevocationCache.revocations(of: owners)
    }

    /// What the cache knows now, for a read such as `GET /v1/contacts`, which must not wait seconds on the DHT:
    /// stale owners are looked up in the background (one refresh at a time), and the next read shows the answer.
    func cachedOwnerRevocations(of owners: Set<Ed25519.PublicKey>) -> [OwnerRevocation] {
        let owed = ownerRevocationCache.owed(owners, now: now)
        if !owed.isEmpty, ownerRefresh == nil {
            ownerRefresh = Task {
                await self.learnOwnerRecords(owed)
                self.ownerRefresh = nil
            }
        }
        return ownerRevocationCache.revocations(of: owners)
    }

    private func learnOwnerRecords(_ owed: [Ed25519.PublicKey]) async {
        let answers = await AgentNode.lookUpOwnerRecords(owed, dht: dht, timeout: AgentNode.ownerLookupTimeout)
        let now = self.now
        for owner in owed {
            ownerRevocationCache.learn(owner: owner, record: answers[owner], now: now)
        }
        let found = answers.values.reduce(0) { $0 + $1.entries.count }
        logger.debug("owner revocation records", metadata: ["owners": "\(owed.count)", "revocations": "\(found)"])
    }

    /// Looks up each owner's record in parallel; whatever has not answered by `timeout` is left out.
    static func lookUpOwnerRecords(
        _ owners: [Ed25519.PublicKey],
        dht: DHTNode,
        timeout: Duration
    ) async -> [Ed25519.PublicKey: OwnerRevocationRecord] {
        await withTaskGroup(of: (Ed25519.PublicKey, OwnerRevocationRecord?)?.self) { group in
            for owner in owners {
                group.addTask { (owner, await dht.ownerRevocationRecord(owner: owner)) }
            }
            // The deadline: a nil result ends the wait, and the unanswered lookups are cancelled.
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            var answers: [Ed25519.PublicKey: OwnerRevocationRecord] = [:]
            var pending = owners.count
            while pending > 0, let next = await group.next() {
                guard let (owner, record) = next else { break }
                pending -= 1
                if let record { answers[owner] = record }
            }
            group.cancelAll()
            return answers
        }
    }
}
