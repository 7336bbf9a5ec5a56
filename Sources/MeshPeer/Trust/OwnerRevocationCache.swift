import Kademlia
import MeshCore

/// What a node has learnt from owners' revocation records (decision 0100), and when to look each owner up again.
///
/// Sans-IO: the node asks `owed(_:now:)` which owners to look up, runs the lookups with a deadline, and hands each
/// answer (a record or nil) to `learn`. A revocation, once learnt from an authentic record, is kept even when a
/// later record leaves it out (a revocation cannot be undone; the owner certifies afresh instead), so a storer that
/// serves an older record cannot make the node forget. Bounded: `capacity` owners (the least recently refreshed is
/// dropped first) and `OwnerRevocationRecord.maximumEntries` revocations each (the newest kept).
public struct OwnerRevocationCache: Sendable {
    /// As many owners as a policy can name.
    public static let capacity = 64
    /// How long an answer stands before the owner is looked up again.
    public static let freshFor: Duration = .seconds(300)
    /// How long a lookup that found nothing stands (shorter: a revocation may have just been published).
    public static let missingFor: Duration = .seconds(60)

    struct Entry: Sendable {
        var revocations: [OwnerRevocation] = []
        var sequence: UInt64?
        var until: Timestamp
        var refreshed: Timestamp
    }

    var entries: [Ed25519.PublicKey: Entry] = [:]

    public init() {}

    /// Which of `owners` need a lookup now (never asked, or the answer is older than its lifetime), at most
    /// `capacity` of them, in a stable order.
    public func owed(_ owners: Set<Ed25519.PublicKey>, now: Timestamp) -> [Ed25519.PublicKey] {
        let stale = owners.filter { entries[$0].map { now >= $0.until } ?? true }
        return Array(
            stale.sorted { $0.rawRepresentation.lexicographicallyPrecedes($1.rawRepresentation) }
                .prefix(OwnerRevocationCache.capacity)
        )
    }

    /// Takes a lookup's answer for `owner`: a record counts only when it is the owner's, authentic and unexpired;
    /// a record older than one already seen adds what it holds but does not lower the sequence.
    public mutating func learn(owner: Ed25519.PublicKey, record: OwnerRevocationRecord?, now: Timestamp) {
        var entry = entries[owner] ?? Entry(until: now, refreshed: now)
        entry.refreshed = now
        if let record, record.owner == owner, record.expiresAt > now, record.isAuthentic {
            let fresh = record.revocations.filter { $0.isAuthentic }
            var all = entry.revocations
            for revocation in fresh
            where !all.contains(where: { $0.agent == revocation.agent && $0.serial == revocation.serial }) {
                all.append(revocation)
            }
            entry.revocations = Array(
                all.sorted { $0.revokedAt > $1.revokedAt }.prefix(OwnerRevocationRecord.maximumEntries)
            )
            entry.sequence = max(entry.sequence ?? 0, record.sequence)
            entry.until = min(now + OwnerRevocationCache.freshFor, record.expiresAt)
        } else {
            entry.until = now + OwnerRevocationCache.missingFor
        }
        entries[owner] = entry
        if entries.count > OwnerRevocationCache.capacity,
            let oldest = entries.min(by: { $0.value.refreshed < $1.value.refreshed })?.key
        {
            entries[oldest] = nil
        }
    }

    /// Every revocation learnt from `owners`' records (stale answers included: a revocation stays true).
    public func revocations(of owners: Set<Ed25519.PublicKey>) -> [OwnerRevocation] {
        owners.flatMap { entries[$0]?.revocations ?? [] }
    }

    /// Every revocation learnt so far.
    public var allRevocations: [OwnerRevocation] { entries.values.flatMap(\.revocations) }
}
