import MeshCore

extension KademliaNode {
    /// Feeds one received datagram. Anything malformed, forged, stale, unsolicited or over the source's rate is
    /// dropped and counted; nothing from it reaches the routing table.
    public func handleDatagram(_ bytes: [UInt8], from source: TransportAddress, now: Timestamp) {
        counters.received += 1
        guard limiter.allow(source.rateLimitKey, now: now) else { return drop(.rateLimited) }
        guard bytes.count <= config.maximumDatagram,
            let message = try? DHTDatagram.decode(bytes, maximumSize: config.maximumDatagram)
        else { return drop(.malformed) }
        let skew = message.timestamp > now ? message.timestamp - now : now - message.timestamp
        guard skew <= config.maximumClockSkew else { return drop(.staleTimestamp) }
        guard message.sender != signingKey.publicKey else { return drop(.fromSelf) }
        let senderID = message.senderID
        if message.message.isRequest {
            if let reason = authenticationFailure(message, senderID: senderID) { return drop(reason) }
            serve(message, from: source, now: now)
        } else {
            // Cheap check first: an unsolicited reply costs no signature verification.
            guard let request = pending[message.transactionID], request.destination == source,
                request.expectedReply == message.message.kind,
                request.expectedID == nil || request.expectedID == senderID
            else { return drop(.unsolicited) }
            if let reason = authenticationFailure(message, senderID: senderID) { return drop(reason) }
            pending[message.transactionID] = nil
            handleReply(message, request: request, from: source, now: now)
        }
    }

    /// Why `message` does not authenticate, or nil when it does: a signed one by its signature, a tagged one by its
    /// pair tag (decision 0124). Either way the sender's key is remembered for tagging to it, and whether it takes
    /// tags. A node with tags off refuses tagged datagrams: no peer is told it takes them, so none is sent one.
    func authenticationFailure(_ message: DHTDatagram, senderID: NodeID) -> KademliaDropReason? {
        switch message {
        case .signed(let signed):
            guard signatureCheck(signed) else { return .badSignature }
            pairKeys?.noteSigned(signed.sender, id: senderID, takesTags: message.senderTakesTags)
            return nil
        case .tagged(let tagged):
            guard pairKeys?.check(tagged, id: senderID) == true else { return .badTag }
            counters.receivedTagged += 1
            return nil
        }
    }

    func drop(_ reason: KademliaDropReason) {
        counters.dropped[reason, default: 0] += 1
    }

    /// A verified round trip: the sender proved its key at the address we wrote to.
    func noteVerified(_ id: NodeID, at address: TransportAddress, now: Timestamp) {
        let contact = Contact(id: id, address: address)
        let insertion = routingTable.insertVerified(contact, now: now)
        if insertion == .cached { checkQuestionable(inBucketOf: id, now: now) }
        if insertion == .added {
            emit(.contactAdded(contact))
            if let query = bootstrapQuery {
                bootstrapQuery = nil
                startLookup(query, kind: .findNode, target: localID, now: now)
            }
        }
    }

    func handleReply(_ message: DHTDatagram, request: PendingRequest, from source: TransportAddress, now: Timestamp) {
        let senderID = message.senderID
        noteVerified(senderID, at: source, now: now)
        switch request.purpose {
        case .verify:
            verifying.remove(senderID)
        case .bootstrap:
            break
        case .probe(let query, let probe):
            finishProbe(query, probe, reply: message, from: source, now: now)
        case .publish(let query):
            guard case .stored(let accepted, _) = message.message else { return }
            publishes[query]?.outstanding.remove(message.transactionID)
            if accepted { publishes[query]?.accepted += 1 } else { publishes[query]?.refused += 1 }
            finishPublishIfSettled(query, now: now)
        case .lookup(let query):
            guard lookups[query] != nil else { return }
            absorb(message.message, into: query, from: senderID, source: source, now: now)
            advance(query, now: now)
        }
    }

    /// Merges a lookup reply: its contacts, its token, and any records (each validated, each key checked).
    func absorb(
        _ reply: KademliaMessage,
        into query: QueryID,
        from senderID: NodeID,
        source: TransportAddress,
        now: Timestamp
    ) {
        guard var lookup = lookups[query] else { return }
        let depth = lookup.depth(of: senderID) + 1
        let contacts: [Contact]
        let token: [UInt8]
        switch reply {
        case .nodes(let list, let given):
            (contacts, token) = (list, given)
        case .value(let record, let list, let given):
            (contacts, token) = (list, given)
            // The honest storers of a key answer with the same bytes, and a value lookup hears three quarters of the
            // k closest: a copy of the record already held is compared, not validated again (an Ed25519
            // verification that could only repeat the verdict).
            if let record, !lookup.holdsUnexpired(record, now: now),
                let valid = accepted(record, forKey: lookup.target, from: source, now: now),
                lookup.foundRecord.map({ valid.sequence > $0.record.sequence }) ?? true
            {
                lookup.foundRecord = (valid, depth - 1, now)
            }
        case .providers(let records, let list, let given):
            (contacts, token) = (list, given)
            for record in records {
                guard let valid = accepted(record, forKey: lookup.target, from: source, now: now) else { continue }
                if lookup.providers.isEmpty { lookup.providerDepth = depth - 1 }
                if lookup.providers[valid.publisher].map({ valid.sequence > $0.sequence }) ?? true {
                    lookup.providers[valid.publisher] = valid
                }
            }
        default:
            return
        }
        lookup.mark(senderID, .answered, token: token)
        lookup.add(contacts.filter { $0.id != localID }, depth: depth, path: lookup.path(of: senderID))
        lookups[query] = lookup
    }

    /// A record from a reply, if it validates and belongs under `key`; otherwise counted and reported.
    func accepted(
        _ envelope: RecordEnvelope,
        forKey key: NodeID,
        from source: TransportAddress,
        now: Timestamp
    )
        -> ValidatedRecord?
    {
        do {
            let valid = try validate(envelope, now: now)
            guard valid.key == key else { throw RecordRejection(.wrongKey, "record for \(valid.key) under \(key)") }
            return valid
        } catch let rejection as RecordRejection {
            countRejection(rejection, from: source)
        } catch {
            countRejection(RecordRejection(.malformed, "\(error)"), from: source)
        }
        return nil
    }
}
