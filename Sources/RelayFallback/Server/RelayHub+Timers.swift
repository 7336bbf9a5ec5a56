import MeshCore

extension RelayHub {
    /// The next instant at which `tick` has work (design rule 4: timers are data).
    public func nextDeadline() -> Timestamp? {
        var earliest = min(nextSweep, nextRedeliveryCheck)
        for connection in connections.values {
            if case .awaitingLogin(_, let deadline) = connection.phase, deadline < earliest { earliest = deadline }
        }
        return earliest
    }

    /// Closes logins that took too long, periodically drops expired envelopes and idle rate-limit state, and
    /// delivers again what a connected recipient left unacknowledged past its ack wait. Calling it early or twice
    /// is harmless.
    public mutating func tick(now: Timestamp) -> [RelayHubAction] {
        var actions: [RelayHubAction] = []
        let late = connections.filter { _, connection in
            if case .awaitingLogin(_, let deadline) = connection.phase { return deadline <= now }
            return false
        }
        for id in late.keys.sorted() {
            actions += refuseAndClose(id, .authenticationTimeout, "login did not complete in time")
        }
        if now >= nextSweep {
            nextSweep = now + RelayHub.sweepInterval
            actions += sweep(now: now)
        }
        if now >= nextRedeliveryCheck {
            nextRedeliveryCheck = now + RelayHub.redeliveryCheckInterval(limits)
            actions += redeliverOverdue(now: now)
        }
        return actions
    }

    /// Half the ack wait, at least a second: an unacknowledged delivery goes out again between one and one and a
    /// half ack waits after it was written, and an idle relay wakes twice per ack wait to find nothing.
    static func redeliveryCheckInterval(_ limits: RelayLimits) -> Duration {
        max(ackWait(limits) / 2, .seconds(1))
    }

    /// `ackWaitSeconds` as a duration, clamped to (0, a day] so no configuration can overflow it.
    static func ackWait(_ limits: RelayLimits) -> Duration {
        let seconds = limits.ackWaitSeconds.isFinite ? limits.ackWaitSeconds : RelayLimits.ackWaitMaximumSeconds
        return .milliseconds(Int64(min(max(seconds, 0.001), RelayLimits.ackWaitMaximumSeconds) * 1_000))
    }

    /// A recipient that took a delivery and never acknowledged it (its store failed, or it dropped the envelope)
    /// would otherwise hold that slot of its delivery window until it reconnects; a full window of such slots
    /// stops its mailbox for good. So what stays unacknowledged past the ack wait is written again on the same
    /// connection, the wait doubling with each delivery (up to 16 ×). The recipient deduplicates by envelope ID
    /// (the client machine re-acks what its owner already acknowledged; the node keeps message IDs durably).
    mutating func redeliverOverdue(now: Timestamp) -> [RelayHubAction] {
        var actions: [RelayHubAction] = []
        let wait = RelayHub.ackWait(limits)
        for (recipient, target) in online.sorted(by: { $0.value < $1.value }) {
            guard var mailbox = mailboxes[recipient], !mailbox.inFlight.isEmpty else { continue }
            let overdue = mailbox.takeOverdue(wait: wait, now: now)
            mailboxes[recipient] = mailbox
            guard !overdue.isEmpty else { continue }
            redeliveries += overdue.count
            // In sequence order: runs of stored ones as one `deliverStored` each (one store read), live ones from
            // the payload the hub still holds.
            var stored: [StoredEnvelopeMeta] = []
            for entry in overdue {
                guard let payload = entry.livePayload else {
                    stored.append(entry.meta)
                    continue
                }
                if !stored.isEmpty { actions.append(.deliverStored(target, stored)) }
                stored = []
                let delivery = DeliveredEnvelope(
                    id: entry.meta.id,
                    sender: entry.meta.sender,
                    sequence: entry.meta.sequence,
                    payload: payload
                )
                actions.append(.send(target, .deliver(delivery)))
            }
            if !stored.isEmpty { actions.append(.deliverStored(target, stored)) }
        }
        return actions
    }

    mutating func sweep(now: Timestamp) -> [RelayHubAction] {
        var expired: [EnvelopeID] = []
        for recipient in Array(mailboxes.keys) {
            guard var mailbox = mailboxes[recipient] else { continue }
            for meta in mailbox.expire(now: now) {
                expired.append(meta.id)
                held.remove(meta.id)
                heldCount -= 1
                heldBytes -= meta.byteCount
            }
            mailboxes[recipient] = mailbox.isEmpty ? nil : mailbox
        }
        allowances = allowances.filter { sender, allowance in online[sender] != nil || !allowance.isFull(now: now) }
        return expired.isEmpty ? [] : [.delete(expired)]
    }
}

extension RelayHub {
    /// The adapter could not write these envelopes (a full or failing disk): forget them, so quotas stay
    /// truthful. The adapter tells their senders `storageFull` instead of `stored`.
    public mutating func persistFailed(_ envelopes: [StoredEnvelope]) {
        let ids = Set(envelopes.map(\.meta.id))
        for recipient in Set(envelopes.map(\.meta.recipient)) {
            guard var mailbox = mailboxes[recipient] else { continue }
            for meta in mailbox.discardWaiting(ids) {
                held.remove(meta.id)
                heldCount -= 1
                heldBytes -= meta.byteCount
            }
            mailboxes[recipient] = mailbox.isEmpty ? nil : mailbox
        }
    }
}
