import Foundation
import GRDB
import Kademlia
import MeshCore
import MeshPeer

extension AgentNode: NodeControl {
    public func status() async -> NodeStatus {
        let counts = await lookUp("status counts", or: nil) { db in
            (
                try OutboxStore.countPending(db), try InboxStore.count(db), try KnockStore.countHeld(db),
                try ContactStore.count(db)
            )
        }
        return NodeStatus(
            did: did,
            // The DHT's own ID: the identity's, except for a private node, which uses a key of its own per run.
            nodeID: NodeID(publicKey: dht.key).hex,
            version: MeshPeerVersion.string,
            uptimeSeconds: Int((now - startedAt).components.seconds),
            dhtContacts: await dht.contactCount(),
            published: published,
            relays: await relays.statuses(),
            outboxPending: counts?.0 ?? 0,
            inboxCount: counts?.1 ?? 0,
            knocksPending: counts?.2 ?? 0,
            contacts: counts?.3 ?? 0,
            apiURL: apiURL,
            exposure: configuration.exposure,
            nat: natStatus
        )
    }

    public func knock(_ request: KnockRequest) async throws(NodeAPIError) -> KnockSummary {
        guard let key = try? DIDKey.decode(request.to) else {
            throw NodeAPIError(.badRequest, "`to` is not a did:key")
        }
        guard key != identity.publicKey else { throw NodeAPIError(.badRequest, "an agent cannot knock on itself") }
        do { try Intent.validateName(request.intent) } catch {
            throw NodeAPIError(.badRequest, "\(error)")
        }
        guard !request.purpose.isEmpty, request.purpose.utf8.count <= KnockBody.maximumPurposeByteCount else {
            throw NodeAPIError(.badRequest, "`purpose` must be 1 to \(KnockBody.maximumPurposeByteCount) bytes")
        }
        let to = request.to
        let existing = try await read { db in
            (try ContactStore.contact(did: to, db), try KnockStore.pendingOutgoing(to: to, db))
        }
        if existing.0 != nil { throw NodeAPIError(.conflict, "\(to) is already a contact: send a message") }
        if let pending = existing.1 { return pending.summary }
        try await admitSend(to: to, intent: request.intent, firstContact: true)
        guard let record = await lookUpRecord(did: to) else {
            throw NodeAPIError(.notFound, "no record for \(to) in the DHT")
        }
        let target: KnockTarget
        do {
            target = try NodeCard.knockTarget(from: record)
        } catch {
            throw NodeAPIError(.notFound, "the record for \(to) cannot be knocked on: \(error)")
        }
        guard !target.relays.isEmpty else { throw NodeAPIError(.unavailable, "\(to) names no relay to reach it") }
        let ownRelays = await relays.homes()
        guard !ownRelays.isEmpty else { throw NodeAPIError(.unavailable, "no home relay is connected yet") }
        let ledger = self.ledger
        let now = self.now
        let name = card.name
        // The owner's certificate, when `meshpeer owner certify` put one here, goes with the knock; revocations go in
        // the record, where the recipient looks them up (decision 0093).
        let credentials: OwnerCredentials?
        do {
            credentials = try OwnerCredentialsFile.certificate(home: home).map { OwnerCredentials(certificate: $0) }
        } catch {
            throw NodeAPIError(.unavailable, "the owner certificate in \(home) cannot be read: \(error)")
        }
        let knock = try await write { db in
            try ledger.knock(
                request,
                target: target,
                ownRelays: ownRelays,
                ownName: name,
                ownerCredentials: credentials,
                now: now,
                db
            )
        }
        logger.info("knocked", metadata: ["to": "\(to)", "intent": "\(request.intent)"])
        wakeOutbox()
        return knock.summary
    }

    public func send(_ request: SendRequest) async throws(NodeAPIError) -> SentMessage {
        do {
            try Intent.validateName(request.intent)
            guard request.intent != Intent.receipt else { throw NodeAPIError(.badRequest, "receipts are automatic") }
            try IntentSchemas.validate(intent: request.intent, body: request.body)
        } catch let error as NodeAPIError {
            throw error
        } catch {
            throw NodeAPIError(.badRequest, "\(error)")
        }
        let body: [UInt8]
        // The canonical form (RFC 8785): compact, and the same bytes for the same value; written directly, not
        // through Foundation's encoder, which dominated the send path's profile.
        do { body = try JCS.canonicalize(request.body) } catch {
            throw NodeAPIError(.badRequest, "the body cannot be sent as JSON: \(error.reason)")
        }
        guard body.count <= AgentMessage.maximumBodyBytes else {
            throw NodeAPIError(.tooLarge, "the body is \(body.count) bytes; at most \(AgentMessage.maximumBodyBytes)")
        }
        let inReplyTo: MessageID?
        if let text = request.inReplyTo {
            guard let id = MessageID(hex: text) else {
                throw NodeAPIError(.badRequest, "`in_reply_to` is not a message ID")
            }
            inReplyTo = id
        } else {
            inReplyTo = nil
        }
        let maximum = configuration.messageExpirySeconds
        let seconds = request.expiresInSeconds ?? maximum
        guard (1...maximum).contains(seconds) else {
            throw NodeAPIError(.badRequest, "`expires_in_seconds` must be 1 to \(maximum)")
        }
        try await admitSend(to: request.to, intent: request.intent, firstContact: false)
        let entry = try await commitSend(
            PendingSend(
                to: request.to,
                intent: request.intent,
                body: body,
                inReplyTo: inReplyTo,
                expiresAt: now + .seconds(seconds)
            )
        )
        figures.messagesSent.increment()
        wakeOutbox()
        return entry.sent
    }

    public func messages(after cursor: Int64, limit: Int, wait: Duration?) async throws(NodeAPIError) -> MessagePage {
        let limit = min(max(limit, 1), 500)
        var page = try await read { db in try InboxStore.page(after: cursor, limit: limit, db) }
        if page.isEmpty, let wait, wait > .zero {
            // Subscribe first, then look again, so a message stored in between is not missed.
            let stream = await events.subscribe()
            page = try await read { db in try InboxStore.page(after: cursor, limit: limit, db) }
            if page.isEmpty {
                await AgentNode.firstMessage(in: stream, within: wait)
                page = try await read { db in try InboxStore.page(after: cursor, limit: limit, db) }
            }
        }
        return MessagePage(messages: page, cursor: page.last?.cursor ?? cursor)
    }

    static func firstMessage(in stream: AsyncStream<NodeEvent>, within wait: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await event in stream where event.type == .message { return }
            }
            group.addTask { try? await Task.sleep(for: wait) }
            await group.next()
            group.cancelAll()
        }
    }

    public func sentMessage(id: String) async throws(NodeAPIError) -> SentMessage {
        guard let messageID = MessageID(hex: id) else { throw NodeAPIError(.badRequest, "\(id) is not a message ID") }
        guard let entry = try await read({ db in try OutboxStore.entry(id: messageID, db) }), entry.kind == .message
        else { throw NodeAPIError(.notFound, "no sent message \(id)") }
        return entry.sent
    }

    public func knocks() async throws(NodeAPIError) -> [KnockSummary] {
        try await read { db in try KnockStore.recent(limit: 500, db).map(\.summary) }
    }

    public func decide(knock id: String, accept: Bool, reason: String?) async throws(NodeAPIError) -> KnockSummary {
        if let reason, reason.utf8.count > 200 { throw NodeAPIError(.badRequest, "`reason` is at most 200 bytes") }
        let ownRelays = await relays.homes()
        let ledger = self.ledger
        let now = self.now
        let knock = try await write { db in
            try ledger.decide(knockID: id, accept: accept, reason: reason, ownRelays: ownRelays, now: now, db)
        }
        logger.info("knock decided by the owner", metadata: ["id": "\(id)", "accepted": "\(accept)"])
        if accept {
            await tellRelaysContacts()
            await observe(sendGate.newContact(now: now))
        }
        wakeOutbox()
        await events.publish(NodeEvent(type: .knock, knock: knock.summary))
        return knock.summary
    }

    /// Tiers are as of now: an `owner-verified` contact whose certificate has expired, or been revoked in its
    /// owner's record since, is shown one tier down (`TrustTier.current`).
    public func contacts() async throws(NodeAPIError) -> [ContactSummary] {
        let contacts = try await read { db in try ContactStore.all(db) }
        let owners = Set(contacts.filter { $0.tier == .ownerVerified }.compactMap { $0.ownerCertificate?.owner })
        let revocations = owners.isEmpty ? [] : cachedOwnerRevocations(of: owners)
        let now = self.now
        return contacts.map {
            ContactSummary(
                did: $0.did,
                name: $0.name,
                since: APITime.format($0.since),
                homeRelays: $0.homes,
                lastMessageAt: $0.lastMessageAt.map(APITime.format),
                tier: TrustTier.current(
                    stored: $0.tier,
                    certificate: $0.ownerCertificate,
                    hasMessaged: $0.lastMessageAt != nil,
                    revocations: revocations,
                    now: now
                )
            )
        }
    }

    public func subscribe() async -> AsyncStream<NodeEvent> { await events.subscribe() }

    /// A new knock token (the owner's answer to a flood: no new identity needed). The previous one stays valid for
    /// one record lifetime, the longest a sender can hold a record that names it; the new record goes out now.
    public func rotateKnockToken() async throws(NodeAPIError) -> KnockTokenRotation {
        var random = SystemRandom()
        let now = self.now
        let until = now + .seconds(configuration.recordTTLSeconds)
        let rotated = [KnockToken.random(using: &random)] + tokens.prefix(1)
        let bytes = rotated.flatMap(\.bytes)
        try await write { db in
            try NodeMetaStore.set("knock-tokens", bytes, db)
            try NodeMetaStore.setInteger("knock-token-previous-until", UInt64(until.millisecondsSinceEpoch), db)
        }
        tokens = rotated
        previousTokenUntil = until
        logger.notice("knock token rotated", metadata: ["previous_valid_until": "\(APITime.format(until))"])
        await publishRecord(reason: "knock token rotated")
        return KnockTokenRotation(rotatedAt: APITime.format(now), previousValidUntil: APITime.format(until))
    }

    public func metrics() async -> String {
        figures.sampleProcess()
        return metricsText()
    }

    // MARK: Database access with API errors

    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(NodeAPIError) -> T {
        do { return try await database.pool.read(body) } catch { throw AgentNode.apiError(error) }
    }

    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(NodeAPIError) -> T {
        do { return try await database.pool.write(body) } catch { throw AgentNode.apiError(error) }
    }

    static func apiError(_ error: any Error) -> NodeAPIError {
        if let error = error as? NodeAPIError { return error }
        return NodeAPIError(.unavailable, "storage: \(error)")
    }
}
