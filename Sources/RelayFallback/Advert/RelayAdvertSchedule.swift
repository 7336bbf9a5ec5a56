import MeshCore

/// When a relay (re-)publishes its signed advert in the DHT (sans-IO: the adapter asks with the current time and
/// peer count, and reports what happened).
///
/// The advert is re-signed every quarter of its lifetime, so a reader never sees one within three quarters of
/// expiry even if two refreshes are lost. Kademlia republishes the same bytes in between. A network's first node
/// has nobody to publish to: until some node has accepted the advert, it is published again as soon as the node
/// has peers, at most every `retryInterval`.
public struct RelayAdvertSchedule: Sendable {
    public let refreshInterval: Duration
    public let retryInterval: Duration
    public private(set) var lastPublished: Timestamp?
    /// Some node accepted the advert; only the refresh remains.
    public private(set) var reachedPeers = false

    public init(advertLifetime: Duration, retryInterval: Duration = .seconds(3)) {
        refreshInterval = max(advertLifetime / 4, .seconds(1))
        self.retryInterval = retryInterval
    }

    public func isDue(now: Timestamp, peers: Int) -> Bool {
        guard let lastPublished else { return true }
        let since = now - lastPublished
        return since >= refreshInterval || (!reachedPeers && peers > 0 && since >= retryInterval)
    }

    /// The adapter signed a fresh advert and started publishing it.
    public mutating func published(at now: Timestamp) {
        lastPublished = now
    }

    /// The publish finished: `accepted` nodes stored it.
    public mutating func publishFinished(accepted: Int) {
        reachedPeers = accepted > 0
    }

    /// When the adapter must look again: the refresh deadline, or, while nobody has the advert, in
    /// `peerCheckInterval` (the peer count can change at any time).
    public func nextCheck(now: Timestamp, peerCheckInterval: Duration = .milliseconds(250)) -> Timestamp {
        guard let lastPublished else { return now }
        let refresh = lastPublished + refreshInterval
        return reachedPeers ? refresh : min(refresh, now + peerCheckInterval)
    }
}
