import MeshCore

extension RelayHub {
    /// The next instant at which `tick` has work (design rule 4: timers are data).
    public func nextDeadline() -> Timestamp? {
        var earliest = nextSweep
        for connection in connections.values {
            if case .awaitingLogin(_, let deadline) = connection.phase, deadline < earliest { earliest = deadline }
        }
        return earliest
    }

    /// Closes logins that took too long, and periodically drops expired envelopes and idle rate-limit state.
    /// Calling it early or twice is harmless.
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
