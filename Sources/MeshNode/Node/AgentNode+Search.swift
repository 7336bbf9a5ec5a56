import Foundation
import Indexer
import Kademlia
import MeshCore
import MeshPeer

extension AgentNode {
    /// At most this many words become capability lookups when no indexer answers.
    static let maximumFallbackWords = 4

    /// `find "words"`: asks each configured indexer (docs/indexer.md) and keeps only results whose signed record
    /// verifies here, the DHT's way, and whose card verifies too (`summary(of:)`); an indexer is never trusted
    /// (decision 0090). With no indexer configured, or none answering, the text and then each word is tried as a capability key.
    func search(words text: String) async throws(NodeAPIError) -> [AgentSummary] {
        let words = SearchQuery.words(in: text)
        guard !words.isEmpty, text.utf8.count <= SearchQuery.maximumQueryBytes else {
            throw NodeAPIError(.badRequest, "give 1 to \(SearchQuery.maximumQueryBytes) bytes with at least one word")
        }
        var answered = false
        var results: [String: AgentSummary] = [:]
        for indexer in configuration.indexers {
            guard let records = await indexerRecords(indexer, query: words.joined(separator: " ")) else { continue }
            answered = true
            for bytes in records where results.count < AgentNode.maximumFindResults {
                do {
                    let valid = try RecordVerifier.verify(agentRecord: bytes, now: SystemClock().now())
                    let record = try AgentRecord(wireBytes: valid.envelope.bytes)
                    guard results[record.did] == nil else { continue }
                    results[record.did] = try await summary(of: record)
                } catch {
                    logger.notice(
                        "an indexer's result is refused",
                        metadata: ["indexer": "\(indexer)", "reason": "\(error)"]
                    )
                }
            }
        }
        if !answered {
            // The whole text first (a capability name such as "legal-translation"), then its words.
            let whole = text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
            var keys: [String] = []
            for key in [whole] + words where !keys.contains(key) && key.utf8.count <= 64 { keys.append(key) }
            for key in keys.prefix(AgentNode.maximumFallbackWords) {
                for summary in (try? await find(.capability(key))) ?? [] { results[summary.did] = summary }
            }
        }
        return results.values.sorted { $0.did < $1.did }.prefix(AgentNode.maximumFindResults).map { $0 }
    }

    /// The signed record bytes of one indexer's first page, or nil when it does not answer as documented.
    func indexerRecords(_ indexer: String, query: String) async -> [[UInt8]]? {
        struct Page: Decodable {
            struct Hit: Decodable { var record: String }
            var results: [Hit]
        }
        let escaped = query.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        let url = "\(indexer)/v1/search?q=\(escaped)&limit=\(AgentNode.maximumFindResults)"
        let page: Page
        do {
            let reply = try await indexerFetch.get(url)
            guard reply.status == 200 else { throw IndexerFetch.Failure("HTTP \(reply.status)") }
            page = try JSONDecoder().decode(Page.self, from: Data(reply.body))
        } catch {
            logger.notice("an indexer did not answer", metadata: ["indexer": "\(indexer)", "reason": "\(error)"])
            return nil
        }
        return page.results.prefix(AgentNode.maximumFindResults).compactMap {
            Data(base64Encoded: $0.record).map(Array.init)
        }
    }
}
