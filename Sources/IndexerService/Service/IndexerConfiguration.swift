import Indexer
import Kademlia
import MeshCore
import NIOCore

/// Everything `meshpeer indexer` can set, with defaults for a long-running public indexer.
public struct IndexerConfiguration: Sendable {
    /// The mirror's SQLite file.
    public var databasePath: String
    /// UDP addresses of the indexer's own DHT node.
    public var dhtListen: [SocketAddress]
    public var seeds: [TransportAddress]
    /// The HTTP API's address (port 0: any free port).
    public var httpHost = "127.0.0.1"
    public var httpPort = 7_700
    public var crawler = CrawlerConfig()
    public var limits = MirrorLimits()
    /// Per-client HTTP rate (by IP address).
    public var httpRate = TokenRate(perSecond: 20, burst: 40)
    /// How often expired agents are swept from the mirror.
    public var expirySweep: Duration = .seconds(5)
    /// At most this many records per mirror transaction: the crawl writes whatever it has verified, up to this
    /// many, so a slow crawl commits small batches soon and a fast one commits large ones. Large batches matter:
    /// a batch's new DIDs land all over the mirror's DID and source indexes, so a transaction dirties nearly every
    /// leaf of them whatever its size, and the WAL and the checkpoint copy those pages once per transaction. At
    /// 100,000 agents, 2,000 records per transaction cost about 205 us of CPU per record and 8,000 about 181
    /// (`meshbench indexer`, which writes in batches of this size too).
    public static let defaultIngestBatch = 8_192
    public var ingestBatch = IndexerConfiguration.defaultIngestBatch
    /// Verified findings waiting for the mirror, at most: the crawl's answers come from the network, and a crawl
    /// that outruns the writer drops its oldest findings (counted as refused, `backlog`) rather than grow without
    /// bound; they are found again on a later walk.
    public var maximumBacklog = 2 * IndexerConfiguration.defaultIngestBatch

    public init(databasePath: String, dhtListen: [SocketAddress], seeds: [TransportAddress]) {
        self.databasePath = databasePath
        self.dhtListen = dhtListen
        self.seeds = seeds
    }
}
