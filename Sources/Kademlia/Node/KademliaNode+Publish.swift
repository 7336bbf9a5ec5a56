import MeshCore

extension KademliaNode {
    /// Signs and publishes this node's agent record, and keeps it alive: it is re-signed with a higher sequence
    /// and re-published every `republishInterval` until `unpublish`.
    ///
    /// Throws `RecordRejection` with the reason, and publishes nothing, when the record would be refused: a field
    /// over its limit (`AgentRecord.checkLimits`) or a record this node's own validator refuses (a `recordTTL`
    /// over `maximumRecordLifetime`, say). Every storer would refuse it too, so failing quietly would only hide it.
    @discardableResult
    public func publishAgentRecord(
        agentCard: [UInt8],
        homeRelays: [String] = [],
        addressHints: [[UInt8]] = [],
        prekeyBundle: [UInt8] = [],
        extensions: [RecordExtension] = [],
        now: Timestamp
    ) throws -> QueryID {
        let key = AgentRecord.key(forDID: signingKey.publicKey.did)
        let record = try AgentRecord.signed(
            by: signingKey,
            sequence: nextSequence(for: key, now: now),
            issuedAt: now,
            ttl: config.recordTTL,
            agentCard: agentCard,
            homeRelays: homeRelays,
            addressHints: addressHints,
            prekeyBundle: prekeyBundle,
            extensions: extensions
        )
        let valid = try validate(record.envelope, now: now)
        published[key] = OwnRecord(kind: .agent(record), republishAt: now + config.republishInterval)
        return publish(valid, now: now)
    }

    /// Announces that this node provides `capability`, and keeps announcing it.
    @discardableResult
    public func provide(capability: String, hints: [UInt8] = [], now: Timestamp) -> QueryID {
        let key = ProviderRecord.key(forCapability: capability)
        let record = ProviderRecord.signed(
            by: signingKey,
            key: key,
            sequence: nextSequence(for: key, now: now),
            issuedAt: now,
            ttl: config.recordTTL,
            hints: hints
        )
        published[key] = OwnRecord(kind: .provider(record), republishAt: now + config.republishInterval)
        return startPublish(record.envelope, key: key, now: now)
    }

    /// The agent record this node currently publishes, if any.
    public var ownAgentRecord: AgentRecord? {
        guard case .agent(let record)? = published[AgentRecord.key(forDID: signingKey.publicKey.did)]?.kind else {
            return nil
        }
        return record
    }

    /// Stops republishing a record; copies elsewhere expire on their own.
    public func unpublish(key: NodeID) { published[key] = nil }

    /// Publishes an already signed record once (no republishing): a lookup of the k closest nodes to `key`,
    /// then a STORE or ADD_PROVIDER with each one's write token. The node keeps a copy itself.
    ///
    /// Throws `RecordRejection` when this node's own validator refuses the record, or when it does not live under
    /// `key`: nothing is sent, since every storer would refuse it too.
    @discardableResult
    public func publish(_ envelope: RecordEnvelope, key: NodeID, now: Timestamp) throws -> QueryID {
        let valid = try validate(envelope, now: now)
        guard valid.key == key else {
            throw RecordRejection(.wrongKey, "the record lives under \(valid.key), not \(key)")
        }
        return publish(valid, now: now)
    }

    func publish(_ valid: ValidatedRecord, now: Timestamp) -> QueryID {
        startPublish(valid.envelope, key: valid.key, now: now)
    }

    /// Starts the lookup and keeps our own copy if our validator and store accept it. A refusal of our own copy
    /// (stale behind a copy with a higher sequence, the store at capacity) does not stop the publish, since the
    /// storers decide for themselves, but it is reported in the result (`ownCopyRefused`) instead of vanishing.
    func startPublish(_ envelope: RecordEnvelope, key: NodeID, now: Timestamp) -> QueryID {
        let query = makeQueryID()
        var ownCopy: RecordRejection?
        do {
            let valid = try validate(envelope, now: now)
            try RecordStoreRules.accept(valid, into: store, now: now, config: config)
        } catch let rejection as RecordRejection {
            ownCopy = rejection
        } catch {
            ownCopy = RecordRejection(.malformed, "\(error)")
        }
        publishes[query] = PublishState(key: key, envelope: envelope, started: now, ownCopy: ownCopy)
        startLookup(query, kind: .findNode, target: key, now: now)
        return query
    }

    /// Sequences are milliseconds of the signing time, bumped past the last one, so a restarted node that lost
    /// its counter still outranks its old records.
    func nextSequence(for key: NodeID, now: Timestamp) -> UInt64 {
        let fromClock = UInt64(max(0, now.millisecondsSinceEpoch))
        let last: UInt64? =
            switch published[key]?.kind {
            case .agent(let record): record.sequence
            case .provider(let record): record.sequence
            case nil: nil
            }
        return max(fromClock, (last ?? 0) &+ 1)
    }

    func writeRecords(_ query: QueryID, to targets: [(contact: Contact, token: [UInt8])], now: Timestamp) {
        guard let publish = publishes[query] else { return }
        for (contact, token) in targets {
            let message: KademliaMessage =
                publish.envelope.type == .provider
                ? .addProvider(token: token, record: publish.envelope)
                : .store(token: token, record: publish.envelope)
            if let id = sendRequest(
                message,
                to: contact.address,
                expectedID: contact.id,
                purpose: .publish(query),
                now: now
            ) {
                publishes[query]?.outstanding.insert(id)
            } else {
                publishes[query]?.unanswered += 1
            }
        }
        finishPublishIfSettled(query, now: now)
    }

    func finishPublishIfSettled(_ query: QueryID, now: Timestamp) {
        guard let publish = publishes[query], publish.writing, publish.outstanding.isEmpty else { return }
        publishes[query] = nil
        emit(
            .publishFinished(
                PublishResult(
                    id: query,
                    key: publish.key,
                    type: publish.envelope.type,
                    accepted: publish.accepted,
                    refused: publish.refused,
                    unanswered: publish.unanswered,
                    started: publish.started,
                    finished: now,
                    ownCopyRefused: publish.ownCopy
                )
            )
        )
    }

    /// Re-signs and re-publishes own records that are due.
    func republishDue(now: Timestamp) {
        for (key, own) in published where own.republishAt <= now {
            switch own.kind {
            case .agent(let record):
                // The same contents were valid when first published; should a re-signed copy be refused all the
                // same, republishing stops rather than retrying a refused record on every tick.
                do {
                    try publishAgentRecord(
                        agentCard: record.agentCard,
                        homeRelays: record.homeRelays,
                        addressHints: record.addressHints,
                        prekeyBundle: record.prekeyBundle,
                        extensions: record.extensions,
                        now: now
                    )
                } catch {
                    published[key] = nil
                }
            case .provider(let record):
                republishProvider(record, key: key, now: now)
            }
        }
    }

    func republishProvider(_ old: ProviderRecord, key: NodeID, now: Timestamp) {
        let record = ProviderRecord.signed(
            by: signingKey,
            key: key,
            sequence: nextSequence(for: key, now: now),
            issuedAt: now,
            ttl: config.recordTTL,
            hints: old.hints
        )
        published[key] = OwnRecord(kind: .provider(record), republishAt: now + config.republishInterval)
        _ = startPublish(record.envelope, key: key, now: now)
    }
}
