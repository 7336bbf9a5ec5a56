import MeshCore

/// Knocks held for the owner, bounded in count, in bytes and per sender (design rule 6). Sans-IO: the node keeps
/// the rows in SQLite; this value decides what stays.
///
/// Eviction, in this order, on every insert:
/// 1. Knocks held longer than `maximumAge` are dropped (`expired`).
/// 2. A sender at `maximumPerSender` has its oldest held knock replaced by the new one (`replacedBySameSender`):
///    the newest purpose is the one the owner should read, and a sender cannot hold more than its share.
/// 3. While the list is over `maximumCount` or `maximumBytes`, the oldest held knock goes (`full`). Newest-wins
///    keeps the list current; the gate's global rate and a token rotation are what stop a flood from cycling it.
public struct PendingKnocks: Sendable {
    public struct Configuration: Hashable, Sendable {
        public var maximumCount: Int
        public var maximumBytes: Int
        public var maximumPerSender: Int
        public var maximumAge: Duration

        public init(
            maximumCount: Int = 256,
            maximumBytes: Int = 1_048_576,
            maximumPerSender: Int = 1,
            maximumAge: Duration = .seconds(7 * 24 * 3_600)
        ) {
            self.maximumCount = max(maximumCount, 1)
            self.maximumBytes = max(maximumBytes, 0)
            self.maximumPerSender = max(maximumPerSender, 1)
            self.maximumAge = maximumAge
        }
    }

    public let configuration: Configuration
    /// Oldest first (insertion order).
    public private(set) var knocks: [HeldKnock] = []
    public private(set) var byteCount = 0

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    public var count: Int { knocks.count }

    public func contains(_ id: MessageID) -> Bool { knocks.contains { $0.id == id } }

    public func knock(id: MessageID) -> HeldKnock? { knocks.first { $0.id == id } }

    public mutating func insert(_ knock: HeldKnock, now: Timestamp) -> PendingInsertResult {
        guard !contains(knock.id) else { return .duplicate }
        guard knock.byteCount <= configuration.maximumBytes else { return .tooLarge }
        var evicted = expire(now: now).map { PendingEviction(id: $0, reason: .expired) }
        let fromSender = knocks.filter { $0.sender == knock.sender }
        for old in fromSender.prefix(max(fromSender.count - configuration.maximumPerSender + 1, 0)) {
            remove(id: old.id)
            evicted.append(PendingEviction(id: old.id, reason: .replacedBySameSender))
        }
        while !knocks.isEmpty,
            knocks.count + 1 > configuration.maximumCount
                || byteCount + knock.byteCount > configuration.maximumBytes
        {
            let oldest = knocks.removeFirst()
            byteCount -= oldest.byteCount
            evicted.append(PendingEviction(id: oldest.id, reason: .full))
        }
        knocks.append(knock)
        byteCount += knock.byteCount
        return .held(evicted: evicted)
    }

    /// Drops the knock (the owner decided, or the node restored state); returns it if it was held.
    @discardableResult
    public mutating func remove(id: MessageID) -> HeldKnock? {
        guard let index = knocks.firstIndex(where: { $0.id == id }) else { return nil }
        let knock = knocks.remove(at: index)
        byteCount -= knock.byteCount
        return knock
    }

    /// Drops knocks held longer than `maximumAge`; returns their IDs, oldest first.
    public mutating func expire(now: Timestamp) -> [MessageID] {
        let cutoff = now - configuration.maximumAge
        let expired = knocks.filter { $0.receivedAt < cutoff }.map(\.id)
        for id in expired { remove(id: id) }
        return expired
    }
}
