import MeshCore

/// The k-bucket table: 256 buckets by common-prefix length, k contacts each, a replacement cache per bucket and
/// IP-diversity limits (S/Kademlia, libp2p's diversity filter).
///
/// Only contacts that answered one of our requests with a valid signature enter (`insertVerified`). A contact
/// that fails `failuresBeforeEviction` times in a row leaves, and the freshest replacement takes its place.
public struct RoutingTable: Sendable {
    public struct Entry: Sendable, Equatable {
        public var contact: Contact
        public var lastSeen: Timestamp
        public var failures: Int
    }

    struct Bucket: Sendable {
        var entries: [Entry] = []
        var replacements: [Entry] = []
        var lastTouched: Timestamp = .zero
    }

    public enum Insertion: Equatable, Sendable {
        case added
        case refreshed
        /// The bucket is full; the contact waits in the replacement cache.
        case cached
        /// Too many contacts from one /24 (/48); nothing was stored.
        case rejectedDiversity
        case rejectedSelf
    }

    public let localID: NodeID
    let k: Int
    let config: KademliaConfig
    var buckets: [Bucket]
    public private(set) var count = 0

    public init(localID: NodeID, config: KademliaConfig, now: Timestamp = .zero) {
        self.localID = localID
        self.config = config
        self.k = config.k
        buckets = Array(repeating: Bucket(lastTouched: now), count: 256)
    }

    public func bucketIndex(for id: NodeID) -> Int { min(localID.commonPrefixLength(with: id), 255) }

    public func contains(_ id: NodeID) -> Bool {
        buckets[bucketIndex(for: id)].entries.contains { $0.contact.id == id }
    }

    public func entry(for id: NodeID) -> Entry? {
        buckets[bucketIndex(for: id)].entries.first { $0.contact.id == id }
    }

    /// Whether an unknown contact would get a slot now (used to decide whether to verify an inbound sender).
    public func hasRoom(for id: NodeID) -> Bool {
        id != localID && buckets[bucketIndex(for: id)].entries.count < k && !contains(id)
    }

    /// Records a verified round trip with `contact`.
    @discardableResult
    public mutating func insertVerified(_ contact: Contact, now: Timestamp) -> Insertion {
        guard contact.id != localID else { return .rejectedSelf }
        let index = bucketIndex(for: contact.id)
        buckets[index].lastTouched = now
        if let position = buckets[index].entries.firstIndex(where: { $0.contact.id == contact.id }) {
            // Move to the tail (most recently seen); an address change is accepted only from a verified reply.
            buckets[index].entries.remove(at: position)
            buckets[index].entries.append(Entry(contact: contact, lastSeen: now, failures: 0))
            return .refreshed
        }
        guard diversityAllows(contact.address, bucket: index) else { return .rejectedDiversity }
        let entry = Entry(contact: contact, lastSeen: now, failures: 0)
        if buckets[index].entries.count < k {
            buckets[index].entries.append(entry)
            buckets[index].replacements.removeAll { $0.contact.id == contact.id }
            count += 1
            return .added
        }
        buckets[index].replacements.removeAll { $0.contact.id == contact.id }
        buckets[index].replacements.append(entry)
        if buckets[index].replacements.count > k { buckets[index].replacements.removeFirst() }
        return .cached
    }

    /// A request to `id` timed out. Returns true when the contact was evicted.
    @discardableResult
    public mutating func recordFailure(_ id: NodeID) -> Bool {
        let index = bucketIndex(for: id)
        guard let position = buckets[index].entries.firstIndex(where: { $0.contact.id == id }) else {
            buckets[index].replacements.removeAll { $0.contact.id == id }
            return false
        }
        buckets[index].entries[position].failures += 1
        guard buckets[index].entries[position].failures >= config.failuresBeforeEviction else { return false }
        buckets[index].entries.remove(at: position)
        count -= 1
        if let replacement = buckets[index].replacements.popLast() {
            buckets[index].entries.append(replacement)
            count += 1
        }
        return true
    }

    /// The entry of `id`'s bucket that was seen longest ago.
    public func leastRecentlySeen(inBucketOf id: NodeID) -> Entry? {
        buckets[bucketIndex(for: id)].entries.min { $0.lastSeen < $1.lastSeen }
    }

    /// The `limit` known contacts closest to `target`, nearest first.
    public func closest(to target: NodeID, limit: Int, excluding excluded: NodeID? = nil) -> [Contact] {
        var all: [Contact] = []
        all.reserveCapacity(count)
        for bucket in buckets where !bucket.entries.isEmpty {
            for entry in bucket.entries where entry.contact.id != excluded { all.append(entry.contact) }
        }
        all.sort { target.prefers($0.id, over: $1.id) }
        return Array(all.prefix(limit))
    }

    public var allContacts: [Contact] { buckets.flatMap { $0.entries.map(\.contact) } }

    /// Buckets that hold or could hold contacts and have not been touched within `interval`.
    public func bucketsNeedingRefresh(now: Timestamp, interval: Duration) -> [Int] {
        // Only buckets up to the deepest non-empty one can ever fill; refreshing deeper ones is wasted work.
        guard let deepest = buckets.lastIndex(where: { !$0.entries.isEmpty }) else { return [] }
        return (0...deepest).filter { now - buckets[$0].lastTouched >= interval }
    }

    public mutating func touch(bucket index: Int, now: Timestamp) { buckets[index].lastTouched = now }

    private func diversityAllows(_ address: TransportAddress, bucket index: Int) -> Bool {
        if config.exemptLocalAddressesFromDiversity && address.isLocalOrLab { return true }
        let prefix = address.diversityPrefix
        if let perBucket = config.maximumPerPrefixPerBucket {
            let inBucket = buckets[index].entries.count { $0.contact.address.diversityPrefix == prefix }
            if inBucket >= perBucket { return false }
        }
        if let perTable = config.maximumPerPrefixInTable {
            var inTable = 0
            for bucket in buckets {
                inTable += bucket.entries.count { $0.contact.address.diversityPrefix == prefix }
            }
            if inTable >= perTable { return false }
        }
        return true
    }
}
