import Foundation
import GRDB
import MeshCore
import MeshPeer

/// A send the API validated, waiting for its commit.
struct PendingSend: Sendable {
    var to: String
    var intent: String
    var body: [UInt8]
    var inReplyTo: MessageID?
    var expiresAt: Timestamp
}

extension AgentNode {
    /// Sends committed together at most.
    static let sendBatch = 256

    /// Stores a send in the outbox (encrypted) and returns once it is committed. Sends that arrive while a commit
    /// is running wait for the next one and share it (group commit): each is encrypted and stored in its own
    /// savepoint, so one that fails (not a contact) fails alone, and none returns before its data is durable.
    func commitSend(_ send: PendingSend) async throws(NodeAPIError) -> OutboxEntry {
        let result = await withCheckedContinuation { continuation in
            pendingSends.append((send, continuation))
            if !sendFlushRunning {
                sendFlushRunning = true
                Task { await self.flushSends() }
            }
        }
        return try result.get()
    }

    func flushSends() async {
        while !pendingSends.isEmpty {
            let batch = Array(pendingSends.prefix(AgentNode.sendBatch))
            pendingSends.removeFirst(batch.count)
            let ledger = self.ledger
            let now = self.now
            let sends = batch.map(\.0)
            let direct = Set(directPeers.keys)
            let results: [Result<OutboxEntry, NodeAPIError>]
            do {
                results = try await database.pool.write { db in
                    sends.map { send in
                        var entry: OutboxEntry?
                        do {
                            try db.inSavepoint {
                                entry = try AgentNode.store(send, ledger: ledger, direct: direct, now: now, db)
                                return .commit
                            }
                            guard let entry else { return .failure(NodeAPIError(.unavailable, "not stored")) }
                            return .success(entry)
                        } catch {
                            return .failure(AgentNode.apiError(error))
                        }
                    }
                }
            } catch {
                results = Array(repeating: .failure(AgentNode.apiError(error)), count: batch.count)
            }
            for ((_, continuation), result) in zip(batch, results) { continuation.resume(returning: result) }
            if results.contains(where: { (try? $0.get()) != nil }) { wakeOutbox() }
        }
        sendFlushRunning = false
    }

    /// `direct`: the peers whose conversation runs on a direct channel now (what the audit entry names as the path;
    /// a channel that closes before the send goes out leaves it to the relay).
    static func store(
        _ send: PendingSend,
        ledger: NodeLedger,
        direct: Set<String> = [],
        now: Timestamp,
        _ db: Database
    ) throws -> OutboxEntry {
        guard let contact = try ContactStore.contact(did: send.to, db) else {
            if try KnockStore.pendingOutgoing(to: send.to, db) != nil {
                throw NodeAPIError(.conflict, "the knock on \(send.to) is still pending: wait for its answer")
            }
            throw NodeAPIError(.forbidden, "\(send.to) is not a contact: knock first")
        }
        let entry = try ledger.send(
            intent: send.intent,
            body: send.body,
            inReplyTo: send.inReplyTo,
            expiresAt: send.expiresAt,
            to: contact,
            now: now,
            db
        )
        // In the same savepoint: the log holds this send exactly when the outbox does.
        try ledger.auditMessage(
            .messageSent,
            peer: contact.did,
            intent: send.intent,
            body: send.body,
            path: direct.contains(contact.did) ? "direct" : "relay",
            now: now,
            db
        )
        return entry
    }
}
