import Foundation
import GRDB
import MeshCore
import MeshPeer

extension AgentNode {
    /// Asks the gate whether a send or knock may be stored now. A trip the send causes (an anomaly) is persisted,
    /// audited and announced before this returns; the send that caused it still goes (it was within the limits).
    func admitSend(to peer: String, intent: String, firstContact: Bool) async throws(NodeAPIError) {
        let (verdict, change) = sendGate.admit(peer: peer, intent: intent, firstContact: firstContact, now: now)
        if let change { await record(change) }
        switch verdict {
        case .allowed: return
        case .refused(let refusal):
            figures.sendsRefusedByBreaker.increment()
            switch refusal {
            case .tripped: throw NodeAPIError(.forbidden, refusal.description)
            case .peerRateLimited, .intentRateLimited: throw NodeAPIError(.rateLimited, refusal.description)
            }
        }
    }

    /// An anomaly observed elsewhere (a new contact, an envelope that would not decrypt).
    func observe(_ change: CircuitBreaker.Change?) async {
        if let change { await record(change) }
    }

    public func breaker() async throws(NodeAPIError) -> BreakerStatus { breakerStatus(sendGate.state) }

    public func tripBreaker(reason: String) async throws(NodeAPIError) -> BreakerStatus {
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty, reason.utf8.count <= AuditLimits.reasonBytes else {
            throw NodeAPIError(.badRequest, "`reason` must be 1 to \(AuditLimits.reasonBytes) bytes")
        }
        if let change = sendGate.trip(reason: reason, now: now) {
            try await record(change, failing: true)
        }
        return breakerStatus(sendGate.state)
    }

    public func resetBreaker() async throws(NodeAPIError) -> BreakerStatus {
        if let change = sendGate.reset(now: now) {
            try await record(change, failing: true)
            wakeOutbox()
        }
        return breakerStatus(sendGate.state)
    }

    /// Persists the new state with its audit entry (one commit), then logs and announces it. With `failing`, a
    /// storage error reaches the caller (the owner's request); otherwise it is logged and counted (the breaker is
    /// already tripped in memory either way, so nothing leaves).
    func record(_ change: CircuitBreaker.Change, failing: Bool = false) async throws(NodeAPIError) {
        let node = identity.publicKey
        let now = self.now
        let audit: AuditEntry.Record
        switch change.state {
        case .closed:
            audit = AuditEntry.Record(kind: .breakerReset, detail: ["by": "owner"])
            logger.notice("circuit breaker reset by the owner")
        case .tripped(let reason, _, let automatic):
            audit = AuditEntry.Record(
                kind: .breakerTripped,
                detail: ["by": automatic ? "anomaly" : "owner", "reason": reason]
            )
            logger.notice("circuit breaker tripped", metadata: ["reason": "\(reason)", "automatic": "\(automatic)"])
        }
        let state = change.state
        do {
            try await database.pool.write { db in
                try BreakerStore.save(state, db)
                try AuditStore.append(audit, node: node, now: now, db)
            }
        } catch {
            figures.storageErrors.increment()
            logger.error("storage: saving the breaker's state failed", metadata: ["error": "\(error)"])
            if failing { throw AgentNode.apiError(error) }
        }
        await events.publish(NodeEvent(type: .breaker, breaker: breakerStatus(state)))
    }

    /// Non-throwing form for anomaly trips.
    func record(_ change: CircuitBreaker.Change) async {
        do { try await record(change, failing: false) } catch {}
    }

    func breakerStatus(_ state: CircuitBreaker.State) -> BreakerStatus {
        let limits = sendGate.limits
        func rate(_ rate: TokenRate) -> BreakerLimitsView.Rate { .init(perSecond: rate.perSecond, burst: rate.burst) }
        func threshold(_ threshold: BreakerLimits.Threshold) -> BreakerLimitsView.Threshold {
            .init(count: threshold.count, windowSeconds: Int(threshold.window.components.seconds))
        }
        let view = BreakerLimitsView(
            perPeer: rate(limits.perPeer),
            perIntent: rate(limits.perIntent),
            sendSpike: threshold(limits.sendSpike),
            newContacts: threshold(limits.newContacts),
            decryptFailures: threshold(limits.decryptFailures),
            newPeers: threshold(limits.newPeers)
        )
        switch state {
        case .closed:
            return BreakerStatus(state: "closed", reason: nil, since: nil, automatic: false, limits: view)
        case .tripped(let reason, let since, let automatic):
            return BreakerStatus(
                state: "tripped",
                reason: reason,
                since: APITime.format(since),
                automatic: automatic,
                limits: view
            )
        }
    }
}
