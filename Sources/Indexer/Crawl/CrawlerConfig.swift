import MeshCore

/// How hard the crawler may work (decision 0088). Every bound is here so an operator sees the crawl's whole cost.
public struct CrawlerConfig: Sendable {
    /// Sustained probes per second, and the burst above it (one probe is one request datagram).
    public var requestsPerSecond: Double = 100
    public var burst: Double = 20
    /// Probes outstanding at once.
    public var maximumInFlight = 32
    /// Nodes remembered; contacts beyond this are not followed (counted in `CrawlStats.nodesDropped`).
    public var maximumNodes = 200_000
    /// How often a known agent's record is fetched again: updates and departures show up within this.
    public var revisitInterval: Duration = .seconds(5 * 60)
    /// A node that fails this many probes in a row is forgotten.
    public var failuresBeforeForgetting = 2
    /// When nothing is queued, one probe for a random ID this often keeps finding new regions and new nodes.
    public var randomWalkInterval: Duration = .seconds(5)

    public init() {}
}

/// What the crawl has done so far, for the progress line, `/v1/stats` and `/metrics`.
public struct CrawlStats: Sendable, Equatable, Codable {
    public var nodesSeen = 0
    public var nodesAnswered = 0
    public var nodesForgotten = 0
    public var nodesDropped = 0
    public var probesSent = 0
    public var probesTimedOut = 0
    public var recordsVerified = 0

    public init() {}
}
