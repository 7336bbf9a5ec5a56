import Kademlia
import MeshCore

/// The bridge between the owner's DHT record (decision 0100) and the revocations `OwnerCertificate.verify` takes.
extension OwnerRevocationRecord {
    /// The lifetime an owner gives its list: the longest a DHT node accepts (`KademliaConfig.maximumRecordLifetime`),
    /// so the owner republishes (`meshpeer owner publish`) at most every two hours.
    public static let defaultLifetime: Duration = .seconds(2 * 60 * 60)

    /// The entries as revocations of this owner. An entry whose own signature does not verify is kept (it revokes
    /// nothing: `OwnerRevocation.revokes` checks it) rather than trusted because the whole record was signed.
    public var revocations: [OwnerRevocation] {
        entries.map {
            OwnerRevocation(
                owner: owner,
                agent: $0.agent,
                serial: $0.serial,
                revokedAt: Timestamp(secondsSinceEpoch: $0.revokedAtSeconds),
                signature: $0.signature
            )
        }
    }

    /// Signs the owner's newest `maximumEntries` revocations (of this owner, one per certificate) into a record.
    public static func publishing(
        _ revocations: [OwnerRevocation],
        by owner: Ed25519.PrivateKey,
        sequence: UInt64,
        now: Timestamp,
        lifetime: Duration = defaultLifetime
    ) throws -> OwnerRevocationRecord {
        var seen = Set<OwnerRevocationName>()
        let newestFirst = revocations.filter { $0.owner == owner.publicKey }.sorted { $0.revokedAt > $1.revokedAt }
        let kept = newestFirst.filter { seen.insert(OwnerRevocationName(agent: $0.agent, serial: $0.serial)).inserted }
        let entries = kept.prefix(maximumEntries).map {
            Entry(
                agent: $0.agent,
                serial: $0.serial,
                revokedAtSeconds: $0.revokedAt.secondsSinceEpoch,
                signature: $0.signature
            )
        }
        return try signed(by: owner, sequence: sequence, issuedAt: now, expiresAt: now + lifetime, entries: entries)
    }
}

/// One certificate: its agent and serial.
struct OwnerRevocationName: Hashable {
    let agent: Ed25519.PublicKey
    let serial: UInt64
}
