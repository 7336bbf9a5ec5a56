import Foundation
import GRDB
import Kademlia
import MeshCore
import MeshPeer

extension AgentNode {
    /// At most this many providers of one capability are looked up per query (a lookup returns at most k).
    static let maximumFindResults = 20

    public func find(_ query: FindQuery) async throws(NodeAPIError) -> [AgentSummary] {
        switch query {
        case .words(let text):
            return try await search(words: text)
        case .did(let did):
            guard (try? DIDKey.decode(did)) != nil else { throw NodeAPIError(.badRequest, "\(did) is not a did:key") }
            guard let record = await dht.agentRecord(did: did) else {
                throw NodeAPIError(.notFound, "no record for \(did) in the DHT")
            }
            do {
                return [try await summary(of: record)]
            } catch {
                throw NodeAPIError(.notFound, "the record for \(did) does not verify: \(error)")
            }
        case .capability(let name):
            let capability = name.lowercased()
            guard !capability.isEmpty, capability.utf8.count <= 64 else {
                throw NodeAPIError(.badRequest, "a capability is 1 to 64 bytes")
            }
            let providers = await dht.providers(capability: capability)
            let dids = Array(Set(providers.map(\.provider.did))).sorted().prefix(AgentNode.maximumFindResults)
            // Look the providers' records up side by side; a provider without a valid record is left out.
            let records = await withTaskGroup(of: AgentRecord?.self) { group in
                for did in dids { group.addTask { [dht] in await dht.agentRecord(did: did) } }
                var found: [AgentRecord] = []
                for await record in group { if let record { found.append(record) } }
                return found
            }
            var results: [AgentSummary] = []
            for record in records.sorted(by: { $0.did < $1.did }) {
                do {
                    results.append(try await summary(of: record))
                } catch {
                    // A forged or unsigned card is left out of the answer, and the reason is logged.
                    logger.notice(
                        "a provider's record is refused",
                        metadata: ["did": "\(record.did)", "reason": "\(error)"]
                    )
                }
            }
            return results
        }
    }

    /// A verified record as the agent sees it: the card's A2A signature must verify under the record's DID, the
    /// card must parse and the prekey bundle must be the DID's (`NodeCard.verify`).
    func summary(of record: AgentRecord) async throws -> AgentSummary {
        let profile = try NodeCard.verify(record)
        let did = record.did
        let relationship = try await database.pool.read { db -> String in
            if try ContactStore.contact(did: did, db) != nil { return "contact" }
            if try KnockStore.pendingOutgoing(to: did, db) != nil { return "knocked" }
            return "none"
        }
        return AgentSummary(
            did: did,
            card: profile.card,
            homeRelays: record.homeRelays,
            sequence: record.sequence,
            expiresAt: APITime.format(record.expiresAt),
            relationship: relationship
        )
    }
}
