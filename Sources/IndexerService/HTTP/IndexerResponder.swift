import Foundation
import HTTPTypes
import Hummingbird
import Indexer
import MeshCore
import NIOCore

/// The indexer's HTTP API and its HTML pages (docs/indexer-openapi.yaml). Every request first passes the
/// per-client rate limit (429); bad parameters are 400 with a reason; a database failure is a 503, never a crash.
public struct IndexerResponder: HTTPResponder {
    public typealias Context = IndexerContext

    let mirror: Mirror
    let status: IndexerStatus
    let limiter: LockedValue<KeyedRateLimiter<[UInt8]>>
    let clock: any MeshClock

    public init(mirror: Mirror, status: IndexerStatus, rate: TokenRate, clock: any MeshClock = SystemClock()) {
        self.mirror = mirror
        self.status = status
        self.limiter = LockedValue(KeyedRateLimiter(rate: rate, capacity: 4_096))
        self.clock = clock
    }

    public func respond(to request: Request, context: Context) async throws -> Response {
        let now = clock.now()
        let client = context.remoteAddress?.ipAddress.map { Array($0.utf8) } ?? []
        guard limiter.withLock({ $0.allow(client, now: now) }) else {
            return IndexerResponse.error(.tooManyRequests, "too many requests from this client; slow down")
        }
        guard request.method == .get || request.method == .head else {
            return IndexerResponse.error(.methodNotAllowed, "only GET")
        }
        let path = request.uri.path
        let parameters = request.uri.queryParameters
        func parameter(_ name: String) -> String? { parameters[Substring(name)].map(String.init) }
        do {
            switch path {
            case "/healthz":
                return IndexerResponse.text("ok\n")
            case "/metrics":
                return IndexerResponse.text(try await metrics(now: now), contentType: "text/plain; version=0.0.4")
            case "/v1/search", "/search":
                let query: SearchQuery
                do {
                    query = try SearchQuery.parse(
                        q: parameter("q"),
                        capability: parameter("capability"),
                        tag: parameter("tag"),
                        limit: parameter("limit"),
                        cursor: parameter("cursor")
                    )
                } catch {
                    return path == "/search"
                        ? IndexerPages.error(.badRequest, error.reason)
                        : IndexerResponse.error(.badRequest, error.reason)
                }
                let page = try await mirror.readSearch(query, now: now)
                if path == "/search" { return IndexerPages.results(page, raw: parameter("q") ?? "", query: query) }
                return try IndexerResponse.json(page)
            case "/v1/capabilities":
                let counts = try await mirror.readTagCounts(now: now).map {
                    CapabilityCount(tag: $0.tag, count: $0.count)
                }
                return try IndexerResponse.json(["capabilities": counts])
            case "/v1/stats":
                return try await IndexerResponse.json(stats(now: now))
            case "/":
                return IndexerPages.home()
            default:
                for (prefix, html) in [("/v1/agents/", false), ("/agents/", true)] where path.hasPrefix(prefix) {
                    let did = String(path.dropFirst(prefix.count)).removingPercentEncoding ?? ""
                    guard did.hasPrefix("did:key:"), did.utf8.count <= 128 else {
                        return html
                            ? IndexerPages.error(.badRequest, "not a did:key")
                            : IndexerResponse.error(.badRequest, "not a did:key")
                    }
                    guard let entry = try await mirror.readAgent(did: did, now: now) else {
                        return html
                            ? IndexerPages.error(.notFound, "no such agent here")
                            : IndexerResponse.error(.notFound, "no live agent \(did) in this index")
                    }
                    return html ? IndexerPages.agent(entry) : try IndexerResponse.agent(entry)
                }
                return IndexerResponse.error(.notFound, "no endpoint at this path; see docs/indexer-openapi.yaml")
            }
        } catch {
            return IndexerResponse.error(.serviceUnavailable, "the mirror could not answer: \(error)")
        }
    }

    /// The counts, with the mirror's agent count read on a reader queue; a failed read is the caller's 503,
    /// never a zero that looks like an empty index.
    func stats(now: Timestamp) async throws -> IndexerStats {
        IndexerStats(
            agents: try await mirror.readAgentCount(now: now),
            crawl: await status.crawl,
            ingested: await status.ingested,
            refused: await status.refused,
            expired: await status.expired,
            uptimeSeconds: Int((now - status.started).nanoseconds / 1_000_000_000)
        )
    }

    func metrics(now: Timestamp) async throws -> String {
        let stats = try await stats(now: now)
        var lines = [
            "# TYPE meshpeer_indexer_agents gauge", "meshpeer_indexer_agents \(stats.agents)",
            "# TYPE meshpeer_indexer_nodes_seen_total counter",
            "meshpeer_indexer_nodes_seen_total \(stats.crawl.nodesSeen)",
            "# TYPE meshpeer_indexer_probes_total counter", "meshpeer_indexer_probes_total \(stats.crawl.probesSent)",
            "# TYPE meshpeer_indexer_records_verified_total counter",
            "meshpeer_indexer_records_verified_total \(stats.crawl.recordsVerified)",
            "# TYPE meshpeer_indexer_expired_total counter", "meshpeer_indexer_expired_total \(stats.expired)",
            "# TYPE meshpeer_indexer_ingested_total counter",
        ]
        for (outcome, count) in stats.ingested.sorted(by: { $0.key < $1.key }) {
            lines.append("meshpeer_indexer_ingested_total{outcome=\"\(outcome)\"} \(count)")
        }
        lines.append("# TYPE meshpeer_indexer_refused_total counter")
        for (code, count) in stats.refused.sorted(by: { $0.key < $1.key }) {
            lines.append("meshpeer_indexer_refused_total{reason=\"\(code)\"} \(count)")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

struct CapabilityCount: Codable, Sendable {
    var tag: String
    var count: Int
}

struct IndexerStats: Codable, Sendable {
    var agents: Int
    var crawl: CrawlStats
    var ingested: [String: Int]
    var refused: [String: Int]
    var expired: Int
    var uptimeSeconds: Int
}
