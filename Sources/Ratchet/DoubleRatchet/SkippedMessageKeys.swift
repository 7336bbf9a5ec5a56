import MeshCore

/// Message keys of messages not yet received, kept so late or reordered messages still decrypt.
///
/// Each key is tagged with its chain: the header key that opens that chain's headers (header encryption), or
/// the remote ratchet public key (plain headers). Bounded twice: at most `maximumStoredSkippedKeys` keys, the
/// oldest deleted first, and at most `maximumSkippedChains` distinct chains, the oldest chain deleted whole.
struct SkippedMessageKeys: Sendable {
    struct Entry: Sendable {
        let chain: RatchetKey
        let number: UInt32
        let messageKey: RatchetKey
    }

    /// Oldest first.
    private(set) var entries: [Entry] = []

    var count: Int { entries.count }

    /// The distinct chain tags, newest first: the header keys to try on an incoming header.
    var chains: [RatchetKey] {
        var result: [RatchetKey] = []
        for entry in entries.reversed() where !result.contains(where: { $0.constantTimeEquals(entry.chain) }) {
            result.append(entry.chain)
        }
        return result
    }

    func index(chain: RatchetKey, number: UInt32) -> Int? {
        entries.firstIndex { $0.number == number && $0.chain.constantTimeEquals(chain) }
    }

    mutating func remove(at index: Int) {
        entries.remove(at: index)
    }

    /// Adds keys of one chain, then enforces both caps.
    mutating func append(_ newEntries: [Entry], limits: RatchetLimits) {
        entries.append(contentsOf: newEntries)
        var distinct = chains
        while distinct.count > max(limits.maximumSkippedChains, 1) {
            let oldest = distinct.removeLast()
            entries.removeAll { $0.chain.constantTimeEquals(oldest) }
        }
        let excess = entries.count - max(limits.maximumStoredSkippedKeys, 0)
        if excess > 0 { entries.removeFirst(excess) }
    }

    init() {}

    init(entries: [Entry]) {
        self.entries = entries
    }
}
