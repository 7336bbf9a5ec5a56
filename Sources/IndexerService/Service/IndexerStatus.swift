import Indexer
import MeshCore

/// What the crawl and the ingest have done, shared between the crawl service (writer) and the HTTP API (reader).
public actor IndexerStatus {
    public private(set) var crawl = CrawlStats()
    public private(set) var ingested: [String: Int] = [:]
    public private(set) var refused: [String: Int] = [:]
    public private(set) var expired = 0
    public let started: Timestamp

    public init(started: Timestamp) { self.started = started }

    public func update(crawl: CrawlStats) { self.crawl = crawl }
    public func count(ingested outcome: IngestOutcome) { ingested[outcome.rawValue, default: 0] += 1 }
    public func count(refused code: String, _ count: Int = 1) { refused[code, default: 0] += count }
    public func count(expired count: Int) { expired += count }
}
