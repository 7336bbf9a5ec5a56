import Indexer
import Kademlia
import MeshCore
import MeshPeer

/// Turns verified findings into mirror writes: the document checks (exposure, card), the card's own A2A signature
/// when it carries one, then one transaction for the batch. Every refusal is counted by reason.
public struct Ingest: Sendable {
    public let mirror: Mirror
    public let status: IndexerStatus?

    public init(mirror: Mirror, status: IndexerStatus?) {
        self.mirror = mirror
        self.status = status
    }

    /// The mirror's source key for an address: the IP, or the IP and port on loopback (one process per port there).
    public static func source(of address: PeerAddress) -> String {
        address.isLoopback ? address.description : Hex.encode(address.ip)
    }

    @discardableResult
    public func ingest(_ findings: [CrawlFinding], now: Timestamp) async throws -> [IngestOutcome] {
        var batch: [(document: AgentDocument, source: String)] = []
        for finding in findings {
            do throws(DocumentRejection) {
                let document = try AgentDocument.make(from: finding.record, limits: mirror.limits)
                batch.append((document, Ingest.source(of: finding.source)))
            } catch {
                await status?.count(refused: error.code)
                if error == .unlisted || error == .private,
                    let record = try? AgentRecord(wireBytes: finding.record.envelope.bytes)
                {
                    try mirror.remove(did: record.did, ifOlderThan: record.sequence)
                }
            }
        }
        guard !batch.isEmpty else { return [] }
        let outcomes = try mirror.ingest(batch, now: now)
        for outcome in outcomes { await status?.count(ingested: outcome) }
        return outcomes
    }
}
