import MeshCore

extension KademliaNode {
    /// Signs and queues a request, and remembers what reply it expects. Returns false (and counts) when the
    /// pending table is full: local work before remote work, never an unbounded queue.
    @discardableResult
    func sendRequest(
        _ message: KademliaMessage,
        to destination: TransportAddress,
        expectedID: NodeID?,
        purpose: PendingRequest.Purpose,
        now: Timestamp
    ) -> UInt64? {
        guard pending.count < config.maximumPendingRequests, let reply = message.expectedReply else {
            counters.dropped[.overloaded, default: 0] += 1
            return nil
        }
        var transactionID = random.next()
        while pending[transactionID] != nil { transactionID = random.next() }
        let slowAt: Timestamp? =
            if case .lookup = purpose { now + config.slowRequestAfter } else { nil }
        pending[transactionID] = PendingRequest(
            destination: destination,
            expectedID: expectedID,
            expectedReply: reply,
            purpose: purpose,
            slowAt: slowAt,
            deadline: now + config.requestTimeout
        )
        queue(message, transactionID: transactionID, to: destination, peer: expectedID, now: now)
        return transactionID
    }

    /// Queues a datagram: tagged when `peer` takes pair tags and its key is known (decision 0124), else signed.
    func queue(
        _ message: KademliaMessage,
        transactionID: UInt64,
        to destination: TransportAddress,
        peer: NodeID?,
        now: Timestamp
    ) {
        var flags = config.readOnly ? SignedMessage.readOnlyFlag : 0
        counters.sent += 1
        if pairKeys != nil {
            flags |= DHTDatagram.takesTagsFlag
            if let peer, let keys = pairKeys?.keys(forSendingTo: peer) {
                counters.sentTagged += 1
                let bytes = TaggedMessage.datagram(
                    message,
                    transactionID: transactionID,
                    from: signingKey.publicKey,
                    to: keys.peer,
                    key: keys.pairKey,
                    now: now,
                    flags: flags
                )
                transmits.append(KademliaTransmit(destination: destination, bytes: bytes))
                return
            }
        }
        let signed = SignedMessage.signed(
            message,
            transactionID: transactionID,
            by: signingKey,
            now: now,
            flags: flags
        )
        transmits.append(KademliaTransmit(destination: destination, bytes: signed.datagram()))
    }
}
