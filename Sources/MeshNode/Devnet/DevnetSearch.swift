import Foundation
import Indexer
import MeshCore

/// The devnet's search step: words (not a capability key) find an agent through the indexer, and the signed
/// record in the answer verifies here, without trusting the indexer.
struct DevnetSearch: Sendable {
    let indexer: String
    let fetch: IndexerFetch
    let say: @Sendable (String) -> Void

    struct Page: Decodable {
        struct Hit: Decodable {
            var did: String
            var name: String
            var record: String
        }
        var results: [Hit]
    }

    func run(words: String, expecting did: String) async throws -> String {
        say("7. Search by words through the indexer: \"\(words)\"")
        let query = words.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        let url = "\(indexer)/v1/search?q=\(query)"
        let hit = try await eventually("the indexer to list \(short(did))", timeout: .seconds(90), every: .seconds(1)) {
            let reply = try await fetch.get(url)
            guard reply.status == 200 else { throw IndexerFetch.Failure("the indexer answers HTTP \(reply.status)") }
            return try JSONDecoder().decode(Page.self, from: Data(reply.body)).results.first { $0.did == did }
        }
        guard let bytes = Data(base64Encoded: hit.record) else { throw ConfigurationError("the record is not base64") }
        let record = try RecordVerifier.verify(agentRecord: Array(bytes), now: SystemClock().now())
        guard try AgentDocument.make(from: record).did == did else {
            throw ConfigurationError("the indexer's record for \(did) is another agent's")
        }
        say("   found \(hit.name) (\(short(did))); its signed record verified here, not trusted from the indexer")
        say("   browse it: \(indexer)/search?q=\(query)")
        return "search by words through the indexer, every result's signed record verified by the asker"
    }
}
