import MeshCore

extension RelayHub {
    mutating func logIn(
        _ id: ConnectionID,
        _ login: RelayAuthentication,
        challenge: RelayChallenge,
        now: Timestamp
    )
        -> [RelayHubAction]
    {
        guard RelayAuth.verify(login, issued: challenge) else {
            return refuseAndClose(id, .badSignature, "the login signature does not verify for this relay and nonce")
        }
        let node = NodeID(publicKey: login.clientKey)
        var actions: [RelayHubAction] = []
        if let previous = online[node] {
            actions.append(.send(previous, .refused(RelayRefusal(.sessionReplaced, "logged in on a newer connection"))))
            actions += forget(previous)
            actions.append(.close(previous))
        }
        connections[id]?.phase = .authenticated(node)
        online[node] = id
        let pending = mailboxes[node]?.waitingCount ?? 0
        let welcome = RelayWelcome(
            clientID: node,
            maximumEnvelopeBytes: UInt32(limits.maximumEnvelopeBytes),
            pendingCount: UInt32(clamping: pending)
        )
        actions.append(.send(id, .welcome(welcome)))
        return actions + fillWindow(of: node, now: now)
    }

    mutating func accept(
        _ envelope: OutboundEnvelope,
        from sender: NodeID,
        on id: ConnectionID,
        now: Timestamp
    )
        -> [RelayHubAction]
    {
        let size = envelope.payload.count
        func refuse(_ code: RelayRefusal.Code, _ reason: String) -> [RelayHubAction] {
            [.send(id, .refused(RelayRefusal(code, envelopeID: envelope.id, reason)))]
        }
        guard size <= limits.maximumEnvelopeBytes else {
            return refuse(
                .envelopeTooLarge,
                "\(size) bytes exceed this relay's limit of \(limits.maximumEnvelopeBytes)"
            )
        }
        var allowance = allowances[sender] ?? SenderAllowance(limits: limits, now: now)
        let allowed = allowance.take(byteCount: size, now: now)
        allowances[sender] = allowance
        guard allowed else { return refuse(.rateLimited, "sender rate limit reached; retry later") }
        if held.contains(envelope.id) || recent.contains(envelope.id) {
            return [.send(id, .accepted(envelope.id, .duplicate))]
        }
        let isFirstContact = contactLists[envelope.recipient].map { !$0.contains(sender) } ?? false
        let box = mailboxes[envelope.recipient]
        if isFirstContact {
            let count = box?.firstContactCount ?? 0
            let bytes = box?.firstContactBytes ?? 0
            guard count < limits.firstContactMaximumCount, bytes + size <= limits.firstContactMaximumBytes else {
                return refuse(.firstContactQuotaExceeded, "the recipient's first-contact quota is full; retry later")
            }
        } else {
            let count = (box?.heldCount ?? 0) - (box?.firstContactCount ?? 0)
            let bytes = (box?.heldBytes ?? 0) - (box?.firstContactBytes ?? 0)
            guard count < limits.mailboxMaximumCount, bytes + size <= limits.mailboxMaximumBytes else {
                return refuse(.recipientQuotaExceeded, "the recipient's mailbox is full")
            }
        }
        guard heldCount < limits.storageMaximumCount, heldBytes + size <= limits.storageMaximumBytes else {
            return refuse(.storageFull, "the relay's storage is full")
        }
        let ttl =
            envelope.ttlSeconds == 0 ? limits.defaultTTLSeconds : min(envelope.ttlSeconds, limits.maximumTTLSeconds)
        let meta = StoredEnvelopeMeta(
            sequence: nextSequence,
            id: envelope.id,
            sender: sender,
            recipient: envelope.recipient,
            byteCount: size,
            expiresAt: now + .seconds(Int64(ttl)),
            isFirstContact: isFirstContact
        )
        nextSequence += 1
        held.insert(envelope.id)
        heldCount += 1
        heldBytes += size
        // Taken out of the dictionary while it changes, so its arrays are uniquely referenced and are
        // mutated in place instead of copied on every envelope.
        var mailbox = mailboxes.removeValue(forKey: envelope.recipient) ?? Mailbox()
        var actions: [RelayHubAction]
        if let target = online[envelope.recipient], mailbox.waitingCount == 0,
            mailbox.inFlight.count < limits.deliveryWindow, mailbox.liveBytes + size <= limits.liveWindowBytes
        {
            mailbox.addLive(meta, payload: envelope.payload, now: now)
            let delivery = DeliveredEnvelope(
                id: envelope.id,
                sender: sender,
                sequence: meta.sequence,
                payload: envelope.payload
            )
            actions = [.send(target, .deliver(delivery)), .send(id, .accepted(envelope.id, .forwarded))]
            mailboxes[envelope.recipient] = mailbox
        } else {
            mailbox.append(meta)
            mailboxes[envelope.recipient] = mailbox
            actions = [.persist([StoredEnvelope(meta: meta, payload: envelope.payload)])]
            actions.append(.send(id, .accepted(envelope.id, .stored)))
            actions += fillWindow(of: envelope.recipient, now: now)
        }
        return actions
    }

    mutating func acknowledge(_ ids: [EnvelopeID], by recipient: NodeID, now: Timestamp) -> [RelayHubAction] {
        guard var mailbox = mailboxes.removeValue(forKey: recipient) else { return [] }
        var deleted: [EnvelopeID] = []
        var remembered: [DeliveredRecord] = []
        for id in ids {
            guard let entry = mailbox.acknowledge(id) else { continue }
            held.remove(id)
            recent.insert(id)
            remembered.append(DeliveredRecord(id: id, expiresAt: entry.meta.expiresAt))
            heldCount -= 1
            heldBytes -= entry.meta.byteCount
            if entry.livePayload == nil { deleted.append(id) }
        }
        mailboxes[recipient] = mailbox.isEmpty ? nil : mailbox
        var actions: [RelayHubAction] = remembered.isEmpty ? [] : [.remember(remembered)]
        if !deleted.isEmpty { actions.append(.delete(deleted)) }
        actions += fillWindow(of: recipient, now: now)
        return actions
    }

    /// Sends waiting envelopes to the recipient's connection until its delivery window is full.
    mutating func fillWindow(of recipient: NodeID, now: Timestamp) -> [RelayHubAction] {
        guard let target = online[recipient], var mailbox = mailboxes.removeValue(forKey: recipient) else { return [] }
        defer { mailboxes[recipient] = mailbox }
        let room = limits.deliveryWindow - mailbox.inFlight.count
        guard room > 0, mailbox.waitingCount > 0 else { return [] }
        return [.deliverStored(target, mailbox.takeWaiting(upTo: room, now: now))]
    }
}

extension RelayHub {
    /// Replaces `recipient`'s contact list, then forgets the oldest lists of offline recipients while the
    /// total is over `contactEntriesMaximum` (an online recipient's list is never dropped).
    mutating func setContacts(_ senders: Set<NodeID>, of recipient: NodeID) {
        if let old = contactLists.removeValue(forKey: recipient) {
            contactEntries -= old.count
            contactOrder.removeAll { $0 == recipient }
        }
        contactLists[recipient] = senders
        contactOrder.append(recipient)
        contactEntries += senders.count
        var index = 0
        while contactEntries > limits.contactEntriesMaximum, index < contactOrder.count {
            let node = contactOrder[index]
            guard online[node] == nil, let list = contactLists.removeValue(forKey: node) else {
                index += 1
                continue
            }
            contactEntries -= list.count
            contactOrder.remove(at: index)
        }
    }
}
