import Foundation
import GRDB
import MeshCore
import MeshPeer

extension AgentNode {
    /// Entries announced per database read while catching up.
    static let auditFeedBatch = 256
    static let auditTrimEvery: UInt64 = 1_000

    public func auditEntries(after sequence: UInt64, limit: Int) async throws(NodeAPIError) -> AuditPage {
        let limit = min(max(limit, 1), 1_000)
        let entries = try await read { db in try AuditStore.page(after: sequence, limit: limit + 1, db) }
        let page = Array(entries.prefix(limit))
        return AuditPage(
            entries: page.map(AgentNode.view),
            next: entries.count > limit ? page.last?.sequence : nil
        )
    }

    public func verifyAudit() async throws(NodeAPIError) -> AuditVerification {
        let node = identity.publicKey
        let (report, checkpoint) = try await read { db in try AuditStore.verify(node: node, db) }
        return AuditVerification(
            ok: report.ok,
            entries: report.entries,
            firstBadSeq: report.firstBadSequence,
            reason: report.reason,
            checkpoint: checkpoint.map {
                AuditCheckpointView(
                    seq: $0.sequence,
                    hash: Hex.encode($0.hash),
                    at: APITime.format($0.at),
                    trimmedTotal: $0.trimmedTotal,
                    signature: Hex.encode($0.signature)
                )
            }
        )
    }

    /// Announces every new audit entry on the event stream, whichever transaction wrote it: each commit that
    /// changed the log wakes the feed (`CommitSignal`), which reads what is new in bounded pages.
    func runAuditFeed() async {
        var announced = await auditHead(or: 0)
        let signal: CommitSignal
        do {
            signal = try await CommitSignal(table: "node_audit", in: database.pool)
        } catch {
            if !Task.isCancelled { logger.error("the audit feed did not start", metadata: ["error": "\(error)"]) }
            return
        }
        defer { signal.cancel() }
        await trimAudit()
        var sinceTrim: UInt64 = 0
        for await _ in signal.commits {
            // Nobody listens: move past what is there without reading the entries (reading and decoding them was
            // 2.6 % of a sending node's CPU with no subscriber). The head is read before the check, so a subscriber
            // that arrives later subscribed after those entries were committed, and is owed none of them.
            let head = await auditHead(or: announced)
            if head > announced, await !events.hasSubscribers {
                sinceTrim += head - announced
                announced = head
            }
            while !Task.isCancelled, head > announced {
                let after = announced
                let entries = await lookUp("new audit entries", or: [AuditEntry]()) { db in
                    try AuditStore.page(after: after, limit: AgentNode.auditFeedBatch, db)
                }
                guard let last = entries.last else { break }
                for entry in entries { await events.publish(NodeEvent(type: .audit, audit: AgentNode.view(entry))) }
                sinceTrim += last.sequence - announced
                announced = last.sequence
                // A short page was the end of the log.
                if entries.count < AgentNode.auditFeedBatch { break }
            }
            // Retention is applied at start and after every `auditTrimEvery` new entries; a trim writes one
            // entry itself, which the next pass announces.
            if sinceTrim >= AgentNode.auditTrimEvery {
                sinceTrim = 0
                await trimAudit()
            }
        }
        if !Task.isCancelled { logger.error("the audit feed stopped: the database observation failed") }
    }

    /// The newest audit sequence number, or `fallback` when the log cannot be read.
    func auditHead(or fallback: UInt64) async -> UInt64 {
        await lookUp("the audit log's head", or: fallback) { db in
            UInt64(bitPattern: try Int64.fetchOne(cached: db, sql: "SELECT MAX(seq) FROM node_audit") ?? 0)
        }
    }

    /// The owner edited the knock policy and the node now applies it.
    func auditPolicyChange(path: String) async {
        let node = identity.publicKey
        let now = self.now
        let record = AuditEntry.Record(kind: .policyChanged, detail: ["file": path])
        await persist("auditing a policy change") { db in try AuditStore.append(record, node: node, now: now, db) }
    }

    /// Applies the retention limits (from upkeep): a bounded log whose kept part still verifies.
    func trimAudit() async {
        let retention = configuration.audit.retention
        let identity = self.identity
        let now = self.now
        await persist("trimming the audit log") { db in
            try AuditStore.trim(retention, identity: identity, now: now, db)
        }
    }

    static func view(_ entry: AuditEntry) -> AuditEntryView {
        AuditEntryView(
            seq: entry.sequence,
            at: APITime.format(entry.at),
            kind: entry.record.kind.rawValue,
            peer: entry.record.peer,
            intent: entry.record.intent,
            size: entry.record.size,
            path: entry.record.path,
            detail: entry.record.detail,
            hash: Hex.encode(entry.hash),
            prevHash: Hex.encode(entry.previousHash)
        )
    }
}
