import MeshCore

/// When a relay (re-)publishes its signed advert in the DHT (sans-IO: the adapter asks with the current time and
/// peer count, and reports what happened).
///
/// The advert is re-signed every quarter of its lifetime, so a reader never sees one within three quarters of
/// expiry even if two refreshes are lost. Kademlia republishes the same bytes in between.
///
/// A relay publishes first while it is still joining: a network's first node has nobody to publish to, and a relay
/// that knows only its bootstrap node stores the advert there alone, where a lookup that stops at its quorum can
/// miss it (CI saw `dht relays` miss a relay that had just published). So until `wantedStorers` nodes (or every
/// peer, in a smaller network) hold the advert, it is published again as the table grows, at most every
/// `retryInterval` and at most `maximumRetries` times before the refresh.
public struct RelayAdvertSchedule: Sendable {
    public let refreshInterval: Duration
    public let retryInterval: Duration
    public private(set) var lastPublished: Timestamp?
    /// How many nodes stored the last publish.
    public private(set) var accepted = 0
    /// Publishes since the last refresh that fell short of the storers wanted.
    public private(set) var retries = 0
    public static let wantedStorers = 3
    public static let maximumRetries = 10

    public init(advertLifetime: Duration, retryInterval: Duration = .seconds(3)) {
        refreshInterval = max(advertLifetime / 4, .seconds(1))
        self.retryInterval = retryInterval
    }

    public func isDue(now: Timestamp, peers: Int) -> Bool {
        guard let lastPublished else { return true }
        let since = now - lastPublished
        if since >= refreshInterval { return true }
        let short = peers > 0 && accepted < min(Self.wantedStorers, peers)
        return short && retries < Self.maximumRetries && since >= retryInterval
    }

    /// The adapter signed a fresh advert and started publishing it.
    public mutating func published(at now: Timestamp) {
        if let lastPublished, now - lastPublished < refreshInterval { retries += 1 } else { retries = 0 }
        lastPublished = now
    }

    /// The publish finished: `accepted` nodes stored it.
    public mutating func publishFinished(accepted: Int) {
        self.accepted = accepted
    }

    /// When the adapter must look again: the refresh deadline, or, while fewer nodes than wanted hold the advert
    /// and retries remain, in `peerCheckInterval` (the peer count can change at any time).
    public func nextCheck(now: Timestamp, peerCheckInterval: Duration = .milliseconds(250)) -> Timestamp {
        guard let lastPublished else { return now }
        let refresh = lastPublished + refreshInterval
        let settled = accepted >= Self.wantedStorers || retries >= Self.maximumRetries
        return settled ? refresh : min(refresh, now + peerCheckInterval)
    }
}
