import Kademlia
import MeshCore

extension DHTNode {
    /// The sealed record stored under `key` (an invite slot's), checked by the core's validator (signed by the
    /// slot key, fresh, within bounds), or nil. Opening it is the invite holder's job.
    public func sealedRecord(key: NodeID) async -> SealedRecord? {
        let event = await driver.query { core, now in core.getRecord(key, now: now) }
        guard case .lookupFinished(let result) = event, let record = result.record, record.type == .sealed,
            record.key == key
        else { return nil }
        return try? SealedRecord(wireBytes: record.envelope.bytes)
    }
}
