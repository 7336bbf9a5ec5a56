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
    /// Records per mirror transaction.
    public var ingestBatch = 256

    public init(databasePath: String, dhtListen: [SocketAddress], seeds: [TransportAddress]) {
        self.databasePath = databasePath
        self.dhtListen = dhtListen
        self.seeds = seeds
    }
}
