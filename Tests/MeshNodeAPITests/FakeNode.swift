import MeshPeer

/// The HTTP layer's test double: a small in-memory node behind `NodeControl`, with just enough behaviour to
/// exercise every endpoint (an inbox with cursors, an outbox, knocks, contacts, live events). It knows nothing
/// of DHTs, relays or sessions; the real node is tested end to end in MeshNodeTests and the multi-process suites.
actor FakeNode: NodeControl {
    static let ownDID = "did:key:z6MkfakeNodeOwnDIDxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
    static let peerDID = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
    static let strangerDID = "did:key:z6MkstrangerStrangerStrangerStrangerStranger"
    static let time = "2026-12-04T20:00:00Z"

    private(set) var inbox: [InboxMessage] = []
    private var outbox: [String: SentMessage] = [:]
    private var knockList: [KnockSummary] = []
    private var contactList = [
        ContactSummary(
            did: peerDID,
            name: "Legal Translator",
            since: time,
            homeRelays: ["ws://127.0.0.1:7001"],
            lastMessageAt: nil
        )
    ]
    private var subscribers: [Int: AsyncStream<NodeEvent>.Continuation] = [:]
    private var nextSubscriber = 0
    private var nextCursor: Int64 = 0
    private var nextID = 0

    var subscriberCount: Int { subscribers.count }

    // MARK: NodeControl

    func status() -> NodeStatus {
        NodeStatus(
            did: Self.ownDID,
            nodeID: String(repeating: "ab", count: 32),
            version: "0.0.0-test",
            uptimeSeconds: 42,
            dhtContacts: 3,
            published: true,
            relays: [RelayStatus(address: "ws://127.0.0.1:7001", state: "ready", home: true, roundTripMs: 0.4)],
            outboxPending: outbox.values.filter { $0.state == "queued" }.count,
            inboxCount: inbox.count,
            knocksPending: knockList.filter { $0.state == "held" }.count,
            contacts: contactList.count,
            nat: NATStatus(
                natClass: "port-restricted",
                certainty: "partial",
                publicAddress: "203.0.113.7:40000",
                serversAsked: 2,
                serversAnswered: 1,
                measuredAt: Self.time
            )
        )
    }

    func find(_ query: FindQuery) throws(NodeAPIError) -> [AgentSummary] {
        let translator = AgentSummary(
            did: Self.peerDID,
            card: .object(["name": .string("Legal Translator"), "skills": .array([])]),
            homeRelays: ["ws://127.0.0.1:7001"],
            sequence: 7,
            expiresAt: Self.time,
            relationship: "contact"
        )
        switch query {
        case .capability(let capability): return capability == "translate.legal" ? [translator] : []
        case .did(let did) where did == Self.peerDID: return [translator]
        case .did(let did): throw NodeAPIError(.notFound, "no record for \(did) in the DHT")
        case .words(let words): return words.contains("legal") ? [translator] : []
        }
    }

    func knock(_ request: KnockRequest) throws(NodeAPIError) -> KnockSummary {
        guard request.to != Self.ownDID else { throw NodeAPIError(.conflict, "an agent cannot knock on itself") }
        let knock = KnockSummary(
            id: makeID("k"),
            direction: "outgoing",
            peer: request.to,
            intent: request.intent,
            purpose: request.purpose,
            state: "pending",
            introducedBy: request.introducedBy,
            createdAt: Self.time
        )
        knockList.append(knock)
        return knock
    }

    func send(_ request: SendRequest) throws(NodeAPIError) -> SentMessage {
        guard contactList.contains(where: { $0.did == request.to }) else {
            throw NodeAPIError(.notFound, "\(request.to) is not a contact; knock first")
        }
        let message = SentMessage(
            id: makeID("m"),
            to: request.to,
            intent: request.intent,
            state: "queued",
            createdAt: Self.time,
            expiresAt: Self.time,
            attempts: 0
        )
        outbox[message.id] = message
        return message
    }

    func messages(after cursor: Int64, limit: Int, wait: Duration?) async throws(NodeAPIError) -> MessagePage {
        let deadline = ContinuousClock.now + (wait ?? .zero)
        while true {
            let page = Array(inbox.filter { $0.cursor > cursor }.prefix(limit))
            if !page.isEmpty || ContinuousClock.now >= deadline || Task.isCancelled {
                return MessagePage(messages: page, cursor: page.last?.cursor ?? cursor)
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    func sentMessage(id: String) throws(NodeAPIError) -> SentMessage {
        guard let message = outbox[id] else { throw NodeAPIError(.notFound, "no sent message \(id)") }
        return message
    }

    func knocks() -> [KnockSummary] { knockList }

    func decide(knock id: String, accept: Bool, reason: String?) throws(NodeAPIError) -> KnockSummary {
        guard let index = knockList.firstIndex(where: { $0.id == id && $0.direction == "incoming" }) else {
            throw NodeAPIError(.notFound, "no incoming knock \(id)")
        }
        guard knockList[index].state == "held" else {
            throw NodeAPIError(.conflict, "knock \(id) was already \(knockList[index].state)")
        }
        knockList[index].state = accept ? "accepted" : "rejected"
        knockList[index].reason = reason
        knockList[index].decidedAt = Self.time
        publish(NodeEvent(type: .knock, knock: knockList[index]))
        return knockList[index]
    }

    func contacts() -> [ContactSummary] { contactList }

    func rotateKnockToken() -> KnockTokenRotation {
        KnockTokenRotation(rotatedAt: "2026-01-01T00:00:00.000Z", previousValidUntil: "2026-01-01T00:30:00.000Z")
    }

    func subscribe() -> AsyncStream<NodeEvent> {
        let (stream, sink) = AsyncStream<NodeEvent>.makeStream(bufferingPolicy: .bufferingNewest(64))
        let id = nextSubscriber
        nextSubscriber += 1
        subscribers[id] = sink
        sink.onTermination = { _ in Task { await self.unsubscribe(id) } }
        return stream
    }

    func metrics() -> String {
        "# TYPE meshpeer_messages_received_total counter\nmeshpeer_messages_received_total \(inbox.count)\n"
    }

    // MARK: What the tests do to the node

    /// A message arrives from a peer: stored with the next cursor, then announced to subscribers.
    @discardableResult
    func receive(from: String = peerDID, intent: String = "chat.message", body: JSONValue) -> InboxMessage {
        nextCursor += 1
        let message = InboxMessage(
            cursor: nextCursor,
            id: makeID("r"),
            from: from,
            intent: intent,
            body: body,
            inReplyTo: nil,
            createdAt: Self.time,
            receivedAt: Self.time,
            expiresAt: nil
        )
        inbox.append(message)
        publish(NodeEvent(type: .message, cursor: message.cursor, message: message))
        return message
    }

    /// A stranger's knock that the policy held for the owner.
    func holdIncomingKnock(from: String = strangerDID, intent: String = "task.request") -> KnockSummary {
        let knock = KnockSummary(
            id: makeID("k"),
            direction: "incoming",
            peer: from,
            intent: intent,
            purpose: "translate a contract",
            state: "held",
            createdAt: Self.time
        )
        knockList.append(knock)
        publish(NodeEvent(type: .knock, knock: knock))
        return knock
    }

    /// Ends every live subscription, as a node does when it stops.
    func finishSubscriptions() {
        for sink in subscribers.values { sink.finish() }
    }

    private func unsubscribe(_ id: Int) { subscribers[id] = nil }

    private func publish(_ event: NodeEvent) {
        for sink in subscribers.values { sink.yield(event) }
    }

    private func makeID(_ prefix: String) -> String {
        nextID += 1
        return "\(prefix)-\(nextID)"
    }
}
