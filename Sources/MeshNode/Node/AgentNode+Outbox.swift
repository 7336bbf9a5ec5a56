import Foundation
import GRDB
import MeshCore
import MeshPeer
import RelayFallback

extension AgentNode {
    /// At most this many outbox entries are handed to relays per pass.
    static let outboxBatch = 256
    /// Sends whose relay answer is awaited at once. A conversation's messages may then reach the relay out of
    /// order; the recipient restores the order from their sequence numbers.
    static let sendsInFlight = 64

    /// When an entry is tried again. Until a relay accepts it: quickly, backing off to a minute. Once a relay
    /// holds it: only if the recipient's receipt has not come back, every 30 s doubling to 10 minutes, because the
    /// relay already stores it and a resend only covers a relay that lost it.
    ///
    /// A message whose absence the recipient's receipts revealed (`fillsGap`: the recipient holds back what follows
    /// it) is retried on a short clock instead: 2 s doubling to 30 s, so it fills the gap well within the
    /// recipient's 90 s gap timeout even when its resends are lost too.
    static func retryDelay(attempts: Int, relayed: Bool, fillsGap: Bool = false) -> Duration {
        let exponent = min(attempts, 10)
        if relayed, fillsGap { return .seconds(min(2 << exponent, 30)) }
        if relayed { return .seconds(min(30 << exponent, 600)) }
        return .milliseconds(min(500 << exponent, 60_000))
    }

    /// Runs until cancelled: sends what is due, then sleeps until the next entry is due or `wakeOutbox()` (a new
    /// entry, a relay that became ready) cuts the sleep short.
    func runOutbox() async {
        while !Task.isCancelled {
            outboxSleep.clearPending()
            await deliverDue()
            // While the breaker is tripped nothing is due: the reset wakes the outbox.
            let next =
                sendGate.isOpen
                ? await lookUp("the outbox's next deadline", or: nil) { db in try OutboxStore.nextDue(db) } : nil
            let delay = min(max((next ?? now + .seconds(5)) - now, .milliseconds(5)), .seconds(5))
            // Returns at once if a wake came during this pass (during `deliverDue` or the read above).
            await outboxSleep.sleep(upTo: delay)
        }
    }

    func deliverDue() async {
        let now = self.now
        var due: [OutboxEntry]
        do {
            // One read for both questions (each database round trip is two thread hops, and a busy sender makes a
            // pass per commit); a write only when something expired: an idle node does no database writes.
            let (anyExpired, firstDue) = try await database.pool.read { db in
                (
                    try OutboxStore.hasExpired(now: now, db),
                    try OutboxStore.due(now: now, limit: AgentNode.outboxBatch, db)
                )
            }
            due = firstDue
            if anyExpired {
                let expired = try await database.pool.write { db in try OutboxStore.expire(now: now, db) }
                for entry in expired {
                    figures.deliveryFailures.increment()
                    var sent = entry.sent
                    sent.state = OutboxEntry.State.expired.rawValue
                    await events.publish(NodeEvent(type: .deliveryFailed, sent: sent))
                }
                due = try await database.pool.read { db in
                    try OutboxStore.due(now: now, limit: AgentNode.outboxBatch, db)
                }
            }
        } catch {
            logger.error("outbox unavailable", metadata: ["error": "\(error)"])
            return
        }
        // The circuit breaker: while it is tripped nothing is claimed or handed to a relay (expiry still runs).
        guard !due.isEmpty, sendGate.isOpen else { return }
        // Claim the batch first: its next attempt is set before anything is sent, so a relay's `accepted`, which
        // may arrive before the send call returns, is never overwritten by this pass.
        // Each attempt travels under the envelope ID of its variant (`OutboxEntry.nextVariant`), remembered here so
        // the relay's answer finds the entry.
        let claims = due.map {
            (
                $0.id, $0.nextVariant,
                now + AgentNode.retryDelay(attempts: $0.attempts, relayed: $0.state == .relayed, fillsGap: $0.fillsGap)
            )
        }
        // A resend of a message a relay took (and no receipt followed) is encrypted afresh in the same transaction
        // (`NodeLedger.reseal`); one no relay took yet keeps its ciphertext.
        let ledger = self.ledger
        let resends = due.filter { $0.attempts > 0 && $0.kind == .message && $0.state == .relayed }
        var batch = due
        do {
            // The pending count for the gauge comes from the same transaction (sends change no states).
            let (resealed, pending) = try await database.pool.write { db in
                for (id, variant, next) in claims {
                    try OutboxStore.claim(id: id, variant: variant, next: next, now: now, db)
                }
                var payloads: [MessageID: [UInt8]] = [:]
                for entry in resends { payloads[entry.id] = try ledger.reseal(entry, db) }
                return (payloads, try OutboxStore.countPending(db))
            }
            figures.outboxPending.record(pending)
            for index in batch.indices {
                if let payload = resealed[batch[index].id] { batch[index].payload = payload }
            }
        } catch {
            logger.error("outbox unavailable", metadata: ["error": "\(error)"])
            return
        }
        // Conversations on a direct channel take it; the rest (and anything the channel could not take) go to the
        // relays. A contact with messages waiting is offered a direct path (the path manager decides).
        await considerDirect(for: batch)
        batch = await sendDirect(batch)
        // Hand the batch to the relays with up to `sendsInFlight` answers awaited at once; acceptance arrives as
        // relay events (`relayAccepted`), failures are recorded here.
        let relays = self.relays
        let failures = await withTaskGroup(of: (OutboxEntry, String)?.self) { group in
            var failed: [(OutboxEntry, String)] = []
            var running = 0
            for entry in batch {
                if running >= AgentNode.sendsInFlight, let result = await group.next() {
                    running -= 1
                    if let result { failed.append(result) }
                }
                let remaining = max(1, Int((entry.expiresAt - now).components.seconds))
                let envelope = OutboundEnvelope(
                    id: entry.id.envelopeID(variant: entry.nextVariant),
                    recipient: NodeID(publicKey: entry.peerKey),
                    ttlSeconds: UInt32(clamping: remaining),
                    payload: entry.payload
                )
                group.addTask {
                    if case .failure(let failure) = await relays.send(envelope, via: entry.relays) {
                        return (entry, failure.description)
                    }
                    return nil
                }
                running += 1
            }
            for await result in group { if let result { failed.append(result) } }
            return failed
        }
        for (entry, reason) in failures {
            await refreshHomes(of: entry)
            let id = entry.id
            await persist("recording a send failure") { db in
                try db.execute(
                    sql: "UPDATE node_outbox SET last_error = ? WHERE id = ?",
                    arguments: [reason, Data(id.bytes)]
                )
            }
        }
    }

    /// A relay took an envelope: receipts are done; everything else now waits for the recipient's receipt.
    func relayAccepted(_ id: EnvelopeID, _ disposition: Disposition) async {
        await relayAccepted([(id, disposition)])
    }

    /// Relays took these envelopes: one transaction for the whole run of answers (a relay answers a burst of
    /// sends with a burst of `accepted`), instead of one commit per message on the sender's hot path (issue 11).
    /// Nothing here is acknowledged to anyone: a crash before the commit leaves the entries as they were, and the
    /// outbox's retry sends them again (the relay answers `duplicate`).
    func relayAccepted(_ answers: [(EnvelopeID, Disposition)]) async {
        guard !answers.isEmpty else { return }
        for (_, disposition) in answers {
            switch disposition {
            case .stored: figures.relayStored.increment()
            case .forwarded: figures.relayForwarded.increment()
            case .duplicate: break
            }
        }
        let now = self.now
        let ids = answers.map(\.0)
        await persist("a relay's acceptance") { db in _ = try AgentNode.settleAcceptances(ids, now: now, db) }
    }

    /// In the caller's transaction: a receipt or signal a relay took is done; a queued message is now `relayed`
    /// and waits for its receipt. Returns how many answers named an entry's current attempt (a late answer about
    /// an earlier attempt names an envelope ID the entry no longer uses, and is ignored).
    static func settleAcceptances(_ ids: [EnvelopeID], now: Timestamp, _ db: Database) throws -> Int {
        var found = 0
        for id in ids {
            guard let entry = try OutboxStore.settlement(envelopeID: id, db) else { continue }
            found += 1
            let messageID = entry.id
            if entry.kind == .receipt || entry.kind == .signal {
                try OutboxStore.delete(id: messageID, db)
                continue
            }
            // A message, knock or decision waits for its receipt; its next send takes a new envelope ID.
            try OutboxStore.variantAnswered(id: messageID, db)
            if entry.state == .queued {
                try OutboxStore.setState(id: messageID, .relayed, db)
                try OutboxStore.recordAttempt(
                    id: messageID,
                    next: now + AgentNode.retryDelay(attempts: 0, relayed: true),
                    error: nil,
                    db
                )
            }
        }
        return found
    }

    func recordRefusal(_ id: EnvelopeID, _ reason: String) async {
        await persist("a relay's refusal") { db in
            try db.execute(
                sql: "UPDATE node_outbox SET last_error = ? WHERE envelope_id = ?",
                arguments: [reason, Data(id.bytes)]
            )
        }
    }

    /// No relay of a peer took an envelope: its homes may have moved. Look its record up again (at most once a
    /// minute per peer) and use the homes it names now.
    func refreshHomes(of entry: OutboxEntry) async {
        let now = self.now
        if let last = lastHomeRefresh[entry.peer], now - last < .seconds(60) { return }
        lastHomeRefresh[entry.peer] = now
        guard let record = await lookUpRecord(did: entry.peer), !record.homeRelays.isEmpty,
            record.homeRelays != entry.relays
        else { return }
        let homes = record.homeRelays
        let peer = entry.peer
        await persist("a contact's new homes") { db in
            try ContactStore.updateHomes(did: peer, homes: homes, db)
            try db.execute(
                sql: "UPDATE node_outbox SET relays = ? WHERE peer = ? AND state IN ('queued', 'relayed')",
                arguments: [ContactStore.encodeHomes(homes), peer]
            )
        }
    }
}
