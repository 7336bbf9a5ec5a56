import MeshCore

/// Where a node keeps the records it holds for others. The in-memory store serves tests and the simulator;
/// `KademliaStore` keeps them in SQLite so they survive a restart.
///
/// Stores hold only records a validator accepted. Ordering (newest sequence wins, one slot per provider) is
/// decided by `RecordStoreRules` before a store is asked to write, so every implementation behaves alike.
public protocol RecordStore: AnyObject {
    func value(for key: NodeID, now: Timestamp) -> ValidatedRecord?
    func providers(for key: NodeID, now: Timestamp, limit: Int) -> [ValidatedRecord]
    func provider(_ publisher: NodeID, for key: NodeID) -> ValidatedRecord?
    func providerCount(for key: NodeID) -> Int
    var valueCount: Int { get }
    var providerKeyCount: Int { get }
    func putValue(_ record: ValidatedRecord)
    func putProvider(_ record: ValidatedRecord)
    /// Drops everything expired at `now`; returns how many records went.
    @discardableResult func removeExpired(now: Timestamp) -> Int
}

/// The ordering and capacity rules every store obeys, kept out of the stores so they cannot diverge.
public enum RecordStoreRules {
    /// Accepts `record` into `store` or says why not. Equal sequence with identical bytes is a harmless refresh.
    public static func accept(
        _ record: ValidatedRecord,
        into store: some RecordStore,
        now: Timestamp,
        config: KademliaConfig
    ) throws {
        switch record.type {
        case .provider:
            if let existing = store.provider(record.publisher, for: record.key) {
                try checkNewer(record, than: existing)
            } else {
                if store.providerCount(for: record.key) == 0 && store.providerKeyCount >= config.maximumProviderKeys {
                    throw RecordRejection(.storeFull, "provider keys at capacity \(config.maximumProviderKeys)")
                }
                if store.providerCount(for: record.key) >= config.maximumProvidersPerKey {
                    throw RecordRejection(.storeFull, "providers for this key at \(config.maximumProvidersPerKey)")
                }
            }
            store.putProvider(record)
        case .agent, .relayAdvert, .sealed, .ownerRevocations:
            if let existing = store.value(for: record.key, now: now) {
                try checkNewer(record, than: existing)
            } else if store.valueCount >= config.maximumValues {
                throw RecordRejection(.storeFull, "values at capacity \(config.maximumValues)")
            }
            store.putValue(record)
        }
    }

    static func checkNewer(_ record: ValidatedRecord, than existing: ValidatedRecord) throws {
        if record.sequence < existing.sequence
            || (record.sequence == existing.sequence && record.envelope != existing.envelope)
        {
            throw RecordRejection(.stale, "sequence \(record.sequence) does not replace \(existing.sequence)")
        }
    }
}

/// A bounded in-memory store (bounds enforced by `RecordStoreRules` from the node's configuration).
public final class InMemoryRecordStore: RecordStore {
    private var values: [NodeID: ValidatedRecord] = [:]
    private var providerTable: [NodeID: [NodeID: ValidatedRecord]] = [:]

    public init() {}

    public func value(for key: NodeID, now: Timestamp) -> ValidatedRecord? {
        guard let record = values[key], record.expiresAt > now else { return nil }
        return record
    }

    public func providers(for key: NodeID, now: Timestamp, limit: Int) -> [ValidatedRecord] {
        let live = (providerTable[key] ?? [:]).values.filter { $0.expiresAt > now }
        // Newest first, then by publisher so replies are deterministic.
        let ordered = live.sorted { ($0.sequence, $1.publisher) > ($1.sequence, $0.publisher) }
        return Array(ordered.prefix(limit))
    }

    public func provider(_ publisher: NodeID, for key: NodeID) -> ValidatedRecord? {
        providerTable[key]?[publisher]
    }

    public func providerCount(for key: NodeID) -> Int { providerTable[key]?.count ?? 0 }
    public var valueCount: Int { values.count }
    public var providerKeyCount: Int { providerTable.count }

    public func putValue(_ record: ValidatedRecord) { values[record.key] = record }

    public func putProvider(_ record: ValidatedRecord) {
        providerTable[record.key, default: [:]][record.publisher] = record
    }

    @discardableResult public func removeExpired(now: Timestamp) -> Int {
        let before = values.count + providerTable.values.reduce(0) { $0 + $1.count }
        values = values.filter { $0.value.expiresAt > now }
        providerTable = providerTable.compactMapValues { entries in
            let live = entries.filter { $0.value.expiresAt > now }
            return live.isEmpty ? nil : live
        }
        return before - (values.count + providerTable.values.reduce(0) { $0 + $1.count })
    }
}
