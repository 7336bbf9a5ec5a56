import Kademlia
import MeshCore

extension DHTNode {
    /// The revocation list `owner` published under its key (decision 0100), checked by the core's validator (signed
    /// by the owner, fresh, within bounds), or nil.
    public func ownerRevocationRecord(owner: Ed25519.PublicKey) async -> OwnerRevocationRecord? {
        let key = OwnerRevocationRecord.key(forOwner: owner)
        let event = await driver.query { core, now in core.getRecord(key, now: now) }
        guard case .lookupFinished(let result) = event, let record = result.record,
            record.type == .ownerRevocations, record.key == key
        else { return nil }
        guard let decoded = try? OwnerRevocationRecord(wireBytes: record.envelope.bytes), decoded.owner == owner else {
            return nil
        }
        return decoded
    }
}
