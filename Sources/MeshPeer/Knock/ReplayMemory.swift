import MeshCore

/// The knock IDs already admitted, so a replayed knock is refused before its proof of work or signature is checked.
///
/// Bounded in count. An ID is only worth remembering while its knock could still pass the time window: after
/// `issuedAt + maximumClockSkew` the window refuses it anyway, so such IDs are forgotten first (oldest remembered
/// first, checked at the head on every insert). When the memory is still full, the oldest remembered ID is
/// forgotten. With the default global rate (10 knocks/s) a 20-minute window admits at most about 12,000 knocks, under
/// the default capacity of 16,384, so a live ID is only forgotten if the configuration is changed.
struct ReplayMemory: Sendable {
    let capacity: Int
    private var expiries: [MessageID: Timestamp] = [:]
    private var order: [MessageID] = []
    private var head = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 1)
    }

    var count: Int { expiries.count }

    func contains(_ id: MessageID) -> Bool { expiries[id] != nil }

    /// Remembers `id` until `expiry`; expired IDs at the head, then the oldest, make room.
    mutating func insert(_ id: MessageID, expiry: Timestamp, now: Timestamp) {
        guard expiries[id] == nil else { return }
        while head < order.count, let oldest = expiries[order[head]], oldest <= now {
            expiries[order[head]] = nil
            head += 1
        }
        if expiries.count >= capacity, head < order.count {
            expiries[order[head]] = nil
            head += 1
        }
        expiries[id] = expiry
        order.append(id)
        if head > 64 && head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
    }
}
