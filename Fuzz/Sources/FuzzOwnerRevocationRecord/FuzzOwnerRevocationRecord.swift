import FuzzSupport
import Kademlia
import MeshCore
import MeshPeer

/// An owner's revocation list as the DHT stores it and a knocked node reads it (decision 0100): decoding and the
/// storer's validator never trap, what decodes re-encodes to the same bytes and stays within its bound, and a node
/// reading it (the entries as revocations, the cache) never traps either.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    let now = Timestamp(secondsSinceEpoch: 1_796_414_400)
    let limits = RecordLimits(maximumLifetime: .seconds(7_200), maximumClockSkew: .seconds(120))
    _ = try? OwnerRevocationRecordValidator().validate(
        RecordEnvelope(type: .ownerRevocations, bytes: bytes),
        now: now,
        limits: limits
    )
    if let record = try? OwnerRevocationRecord(wireBytes: bytes) {
        fuzzCheck(record.wireBytes == bytes, "owner revocation record does not round-trip")
        fuzzCheck(bytes.count <= OwnerRevocationRecord.maximumByteCount, "owner revocation record over its bound")
        fuzzCheck(record.entries.count <= OwnerRevocationRecord.maximumEntries, "too many entries decoded")
        var cache = OwnerRevocationCache()
        cache.learn(owner: record.owner, record: record, now: now)
        _ = cache.revocations(of: [record.owner]).count
    }
    return 0
}
