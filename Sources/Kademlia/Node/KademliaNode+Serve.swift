import MeshCore

extension KademliaNode {
    /// Answers a verified request, and starts verifying an unknown sender if the table has room for it.
    func serve(_ request: DHTDatagram, from source: TransportAddress, now: Timestamp) {
        let senderID = request.senderID
        if request.flags & SignedMessage.readOnlyFlag == 0 { considerVerifying(senderID, at: source, now: now) }
        let token = tokens.token(for: source)
        let reply: KademliaMessage
        switch request.message {
        case .ping:
            reply = .pong(observed: source)
        case .findNode(let target):
            reply = .nodes(contacts: closest(to: target, excluding: senderID), token: token)
        case .findValue(let key):
            let record = store.value(for: key, now: now)?.envelope
            reply = fitted(.value(record: record, contacts: closest(to: key, excluding: senderID), token: token))
        case .getProviders(let key):
            let records = store.providers(for: key, now: now, limit: KademliaMessage.maximumProviders).map(\.envelope)
            reply = fitted(.providers(records: records, contacts: closest(to: key, excluding: senderID), token: token))
        case .store(let given, let record):
            let mutable: Set<RecordType> = [.agent, .relayAdvert, .sealed, .ownerRevocations]
            reply = write(record, token: given, expected: mutable, from: source, now: now)
        case .addProvider(let given, let record):
            reply = write(record, token: given, expected: [.provider], from: source, now: now)
        default:
            return
        }
        let peer = request.senderTakesTags ? senderID : nil
        queue(reply, transactionID: request.transactionID, to: source, peer: peer, now: now)
    }

    func closest(to target: NodeID, excluding excluded: NodeID) -> [Contact] {
        routingTable.closest(to: target, limit: min(config.k, KademliaMessage.maximumContacts), excluding: excluded)
    }

    /// Checks the write token, validates the record and applies the store's ordering rules.
    func write(
        _ envelope: RecordEnvelope,
        token: [UInt8],
        expected: Set<RecordType>,
        from source: TransportAddress,
        now: Timestamp
    ) -> KademliaMessage {
        do {
            guard tokens.isValid(token, for: source) else {
                throw RecordRejection(.badToken, "no valid write token for \(source)")
            }
            guard expected.contains(envelope.type) else {
                throw RecordRejection(.unknownType, "\(envelope.type) does not belong in this request")
            }
            let valid = try validate(envelope, now: now)
            try RecordStoreRules.accept(valid, into: store, now: now, config: config)
            counters.recordsAccepted += 1
            return .stored(accepted: true, code: "ok")
        } catch let rejection as RecordRejection {
            countRejection(rejection, from: source)
            return .stored(accepted: false, code: rejection.code.rawValue)
        } catch {
            countRejection(RecordRejection(.malformed, "\(error)"), from: source)
            return .stored(accepted: false, code: RecordRejection.Code.malformed.rawValue)
        }
    }

    /// Trims contacts, then records, until the reply fits in one datagram.
    func fitted(_ reply: KademliaMessage) -> KademliaMessage {
        var reply = reply
        let budget = config.maximumDatagram - Frame.headerByteCount - SignedMessage.fixedOverhead
        while reply.wireBytes.count > budget {
            switch reply {
            case .value(let record, let contacts, let token) where !contacts.isEmpty:
                reply = .value(record: record, contacts: Array(contacts.dropLast()), token: token)
            case .providers(let records, let contacts, let token) where !contacts.isEmpty:
                reply = .providers(records: records, contacts: Array(contacts.dropLast()), token: token)
            case .providers(let records, let contacts, let token) where !records.isEmpty:
                reply = .providers(records: Array(records.dropLast()), contacts: contacts, token: token)
            default:
                return reply
            }
        }
        return reply
    }

    /// A full bucket just turned a contact away: if its stalest entry has been silent too long, ask whether it is
    /// still there. Its failure to answer counts towards eviction, and the cached contact then takes the slot.
    func checkQuestionable(inBucketOf id: NodeID, now: Timestamp) {
        guard let stalest = routingTable.leastRecentlySeen(inBucketOf: id),
            now - stalest.lastSeen >= config.questionableAfter, !verifying.contains(stalest.contact.id)
        else { return }
        if sendRequest(.ping, to: stalest.contact.address, expectedID: stalest.contact.id, purpose: .verify, now: now)
            != nil
        {
            verifying.insert(stalest.contact.id)
        }
    }

    /// An unknown sender enters the table only after answering our own ping (its request alone proves nothing
    /// about its address). Bounded: at most one verification per ID, and only when its bucket has room.
    ///
    /// A known sender writing from an address other than the table's, in the same family (it restarted on another
    /// port, or its NAT rebound), is asked at the new address the same way, and only its signed answer from there moves the entry
    /// (`insertVerified`); a forged source address moves nothing and, when the ping times out, costs the entry
    /// nothing (`fail`). Without this a restarted node stayed known at its dead address until enough requests to
    /// that address had failed, and every lookup handed the dead address out meanwhile: a devnet indexer could not
    /// reach an agent that had restarted for over 90 s.
    func considerVerifying(_ id: NodeID, at source: TransportAddress, now: Timestamp) {
        guard !verifying.contains(id), verifying.count < config.maximumPendingRequests / 4 else { return }
        if let known = routingTable.entry(for: id) {
            // Within one address family only: a restart or a NAT rebinding keeps the family, while a dual-stack
            // peer writing over both would otherwise flip its entry, and what we hand out for it, at each request.
            guard known.contact.address != source, known.contact.address.isIPv4 == source.isIPv4 else { return }
        } else {
            guard routingTable.hasRoom(for: id) else { return }
        }
        if sendRequest(.ping, to: source, expectedID: id, purpose: .verify, now: now) != nil {
            verifying.insert(id)
        }
    }
}
