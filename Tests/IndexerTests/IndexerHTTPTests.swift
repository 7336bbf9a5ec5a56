import Foundation
import Indexer
import IndexerService
import Logging
import MeshCore
import NIOPosix
import ServiceLifecycle
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The HTTP API on a real socket over a real SQLite mirror: every endpoint of docs/indexer-openapi.yaml, bad
/// input (400, never 500), the per-client rate limit (429) and the HTML pages.
@Suite struct IndexerHTTPTests {
    @Test func endpointsBadInputAndRateLimit() async throws {
        let mirror = try Mirror(path: TestRecords.temporaryPath("http.sqlite"))
        let now = SystemClock().now()
        var batch: [(document: AgentDocument, source: String)] = []
        for index in 0..<30 {
            let record = try TestRecords.record(TestRecords.key(UInt64(300 + index)), index: index, issuedAt: now)
            batch.append((try TestRecords.document(record), "s\(index)"))
        }
        _ = try mirror.ingest(batch, now: now)
        let first = batch[0].document

        try await withServer(mirror: mirror, rate: TokenRate(perSecond: 1, burst: 80)) { api in
            let (search, status) = try await get(api, "/v1/search?q=agent&limit=2")
            #expect(status == 200)
            let page = try #require(try JSONSerialization.jsonObject(with: search) as? [String: Any])
            let results = try #require(page["results"] as? [[String: Any]])
            #expect(results.count == 2)
            #expect(Set(results[0].keys).isSuperset(of: ["did", "name", "description", "tags", "sequence", "record"]))
            let cursor = try #require(page["next_cursor"] as? String)
            #expect(try await get(api, "/v1/search?q=agent&limit=2&cursor=\(cursor)").status == 200)

            let did = first.did.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed)!
            let (agent, agentStatus) = try await get(api, "/v1/agents/\(did)")
            #expect(agentStatus == 200)
            let object = try #require(try JSONSerialization.jsonObject(with: agent) as? [String: Any])
            #expect((object["card"] as? [String: Any])?["name"] as? String == first.name)
            #expect(try await get(api, "/v1/capabilities").status == 200)
            #expect(try await get(api, "/v1/stats").status == 200)
            #expect(try await get(api, "/healthz").status == 200)
            #expect(
                String(decoding: try await get(api, "/metrics").body, as: UTF8.self).contains(
                    "meshpeer_indexer_agents 30"
                )
            )

            // Bad input: 400 or words, never 500.
            for path in [
                "/v1/search?cursor=bad", "/v1/search?limit=0", "/v1/search?limit=x",
                "/v1/search?tag=" + String(repeating: "t", count: 80),
                "/v1/agents/nope", "/search?cursor=%00",
            ] {
                #expect(try await get(api, path).status == 400, "\(path)")
            }
            for q in [
                "%22", "NEAR(a%20b)", "a%20OR%20b*", "%27%3B%20DROP%20TABLE%20indexer_agent%3B--", "%F0%9F%99%82",
            ] {
                #expect(try await get(api, "/v1/search?q=\(q)").status == 200, "\(q)")
            }
            #expect(try await get(api, "/v1/search?limit=100000").status == 200)
            #expect(try await get(api, "/v1/agents/did:key:z6MkNotThere").status == 404)

            // HTML: the form, results with links, one agent's page.
            let home = String(decoding: try await get(api, "/").body, as: UTF8.self)
            #expect(home.contains("<form action=\"/search\""))
            let html = String(decoding: try await get(api, "/search?q=chess").body, as: UTF8.self)
            #expect(html.contains("class=\"result\"") && html.contains("href=\"/agents/did:key:"))
            let agentPage = String(decoding: try await get(api, "/agents/\(did)").body, as: UTF8.self)
            #expect(agentPage.contains(first.did))
            let hostile = String(decoding: try await get(api, "/search?q=%3Cscript%3E").body, as: UTF8.self)
            #expect(!hostile.contains("<script>"))

            // Every path of the OpenAPI document answers 200 on the running server, and errors have its shape.
            let document = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("docs/indexer-openapi.yaml")
            let paths = try String(contentsOf: document, encoding: .utf8).split(separator: "\n")
                .filter { $0.hasPrefix("  /") && $0.hasSuffix(":") }.map { String($0.dropFirst(2).dropLast()) }
            #expect(paths.count == 9)
            for path in paths {
                let concrete = path.replacingOccurrences(of: "{did}", with: did)
                #expect(try await get(api, concrete).status == 200, "\(path)")
            }
            let refusal = try await get(api, "/v1/search?cursor=bad").body
            let error = try #require(try JSONSerialization.jsonObject(with: refusal) as? [String: [String: String]])
            #expect(error["error"]?["code"] == "bad-request" && error["error"]?["message"] != nil)

            // The flood: the bucket (80, then 1/s) runs dry and the answer is 429.
            var statuses: [Int] = []
            for _ in 0..<100 { statuses.append(try await get(api, "/healthz").status) }
            #expect(statuses.contains(429))
        }
    }

    func get(_ api: String, _ path: String) async throws -> (body: Data, status: Int) {
        let (data, response) = try await URLSession.shared.data(from: URL(string: api + path)!)
        return (data, (response as? HTTPURLResponse)?.statusCode ?? 0)
    }

    func withServer(
        mirror: Mirror,
        rate: TokenRate,
        _ body: @escaping @Sendable (String) async throws -> Void
    ) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var configuration = IndexerConfiguration(databasePath: "", dhtListen: [], seeds: [])
        configuration.httpPort = 0
        configuration.httpRate = rate
        let (bound, sink) = AsyncStream<String>.makeStream()
        let application = IndexerHTTP.makeApplication(
            configuration: configuration,
            mirror: mirror,
            status: IndexerStatus(started: SystemClock().now()),
            group: group,
            logger: Logger(label: "test.indexer"),
            onBound: { sink.yield($0) }
        )
        let services = ServiceGroup(services: [application], logger: Logger(label: "test.indexer"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await services.run() }
            var iterator = bound.makeAsyncIterator()
            guard let api = await iterator.next() else { throw IndexerTestFailure("the server did not start") }
            do {
                try await body(api)
            } catch {
                await services.triggerGracefulShutdown()
                throw error
            }
            await services.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        try await group.shutdownGracefully()
    }
}

struct IndexerTestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
