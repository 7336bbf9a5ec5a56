import Indexer
import Kademlia
import MeshCore
import MeshPeer

/// Turns verified findings into mirror writes, checking each thing once:
/// 1. the mirror's version of each DID is read first, so a record found again unchanged only refreshes last-seen
///    and an older or conflicting one is refused as stale, neither of them verified again;
/// 2. the rest (new agents, higher sequences) get the document checks (exposure, the card's A2A signature, the
///    card read from that same parse) on every core, at most one task per core;
/// 3. one transaction writes the batch and the refreshes. Every refusal is counted by reason.
public struct Ingest: Sendable {
    public let mirror: Mirror
    public let status: IndexerStatus?

    public init(mirror: Mirror, status: IndexerStatus?) {
        self.mirror = mirror
        self.status = status
    }

    /// The mirror's source key for an address: the IP, or the IP and port on loopback (one process per port there).
    public static func source(of address: TransportAddress) -> String {
        address.isLoopback ? address.description : Hex.encode(address.ip.bytes)
    }

    /// What `ingest` did with a batch, in the findings' order.
    @discardableResult
    public func ingest(_ findings: [CrawlFinding], now: Timestamp) async throws -> [IngestOutcome?] {
        let known = try mirror.versions(of: findings.map(\.did))
        var outcomes = [IngestOutcome?](repeating: nil, count: findings.count)
        var refreshed: [(did: String, sequence: UInt64)] = []
        var fresh: [Int] = []
        for (index, finding) in findings.enumerated() {
            let verdict = known[finding.did]?.verdict(
                sequence: finding.record.sequence,
                record: finding.record.envelope.bytes
            )
            switch verdict {
            case .refreshed?: refreshed.append((finding.did, finding.record.sequence))
            case nil: fresh.append(index)
            default: break
            }
            outcomes[index] = verdict
        }
        let limits = mirror.limits
        let documents = await ParallelMap.map(fresh.map { findings[$0].record }) { record in
            Result { () throws(DocumentRejection) in try AgentDocument.make(from: record, limits: limits) }
        }
        var batch: [(document: AgentDocument, source: String)] = []
        var written: [Int] = []
        for (index, result) in zip(fresh, documents) {
            switch result {
            case .success(let document):
                batch.append((document, Ingest.source(of: findings[index].source)))
                written.append(index)
            case .failure(let rejection):
                await status?.count(refused: rejection.code)
                if rejection == .unlisted || rejection == .private {
                    try mirror.remove(did: findings[index].did, ifOlderThan: findings[index].record.sequence)
                }
            }
        }
        if !batch.isEmpty || !refreshed.isEmpty {
            let results = try await mirror.write(batch, refreshed: refreshed, now: now)
            for (index, outcome) in zip(written, results) { outcomes[index] = outcome }
        }
        for outcome in outcomes.compactMap({ $0 }) { await status?.count(ingested: outcome) }
        return outcomes
    }

    /// Signed agent records from anyone (the benchmark's input, records read back from another indexer) checked
    /// as the crawl's are: `RecordVerifier` (the DHT's own validation), then the document checks, once each, on
    /// every core. In order; a refusal is that element's error.
    public static func documents(
        fromSigned records: [[UInt8]],
        now: Timestamp,
        limits: MirrorLimits
    ) async -> [Result<AgentDocument, any Error>] {
        await ParallelMap.map(records) { bytes in
            Result {
                try AgentDocument.make(from: try RecordVerifier.verify(agentRecord: bytes, now: now), limits: limits)
            }
        }
    }
}
