import MeshCore

/// The relay's state machine across all connections: login, forwarding, store-and-forward, limits.
///
/// Sans-IO (design rule 1): it takes inputs with the current instant and returns `RelayHubAction`s; the NIO
/// server (Sources/RelayServer) performs them. Payloads of stored envelopes stay on disk; the hub keeps only
/// their metadata, so its memory is bounded by `RelayLimits.storageMaximumCount`.
public struct RelayHub<Random: RandomSource>: Sendable {
    enum Phase: Sendable {
        case awaitingLogin(RelayChallenge, deadline: Timestamp)
        case authenticated(NodeID)
    }

    struct Connection: Sendable {
        var source: String
        var phase: Phase
    }

    public let relayKey: Ed25519.PublicKey
    public let relayID: NodeID
    public let limits: RelayLimits
    var random: Random
    var connections: [ConnectionID: Connection] = [:]
    var sourceCounts: [String: Int] = [:]
    var online: [NodeID: ConnectionID] = [:]
    var mailboxes: [NodeID: Mailbox] = [:]
    var held: Set<EnvelopeID> = []
    var recent: RecentIDs
    var allowances: [NodeID: SenderAllowance] = [:]
    /// Each recipient's contacts, as it last sent them; oldest list first in `contactOrder`.
    var contactLists: [NodeID: Set<NodeID>] = [:]
    var contactOrder: [NodeID] = []
    public internal(set) var contactEntries = 0
    public internal(set) var heldCount = 0
    public internal(set) var heldBytes = 0
    var nextSequence: UInt64 = 1
    var nextSweep: Timestamp
    var nextRedeliveryCheck: Timestamp
    /// Deliveries written again because their ack wait ran out (for the operator's metrics).
    public internal(set) var redeliveries = 0
    public private(set) var isShuttingDown = false

    /// How often expired envelopes and idle rate-limit state are swept.
    public static var sweepInterval: Duration { .seconds(60) }

    public init(relayKey: Ed25519.PublicKey, limits: RelayLimits, random: Random, now: Timestamp) {
        self.relayKey = relayKey
        self.relayID = NodeID(publicKey: relayKey)
        self.limits = limits
        self.random = random
        self.recent = RecentIDs(capacity: limits.recentlyDeliveredMemory)
        self.nextSweep = now + RelayHub.sweepInterval
        self.nextRedeliveryCheck = now + RelayHub.redeliveryCheckInterval(limits)
    }

    public var connectionCount: Int { connections.count }
    public var authenticatedCount: Int { online.count }

    /// Loads what the store held at startup (any order); expired envelopes come back as a `delete`.
    public mutating func restore(_ metas: [StoredEnvelopeMeta], now: Timestamp) -> [RelayHubAction] {
        var expired: [EnvelopeID] = []
        for meta in metas.sorted(by: { $0.sequence < $1.sequence }) {
            nextSequence = max(nextSequence, meta.sequence + 1)
            guard meta.expiresAt > now else {
                expired.append(meta.id)
                continue
            }
            guard !held.contains(meta.id) else { continue }
            mailboxes[meta.recipient, default: Mailbox()].append(meta)
            held.insert(meta.id)
            heldCount += 1
            heldBytes += meta.byteCount
        }
        return expired.isEmpty ? [] : [.delete(expired)]
    }

    /// Loads the delivered IDs the store remembered (any order); expired ones are skipped.
    public mutating func restoreDelivered(_ records: [DeliveredRecord], now: Timestamp) {
        for record in records.sorted(by: { $0.expiresAt < $1.expiresAt }) where record.expiresAt > now {
            recent.insert(record.id)
        }
    }

    /// A WebSocket opened from `source` (an address without port). Answers with the challenge, or refuses.
    public mutating func connect(_ id: ConnectionID, source: String, now: Timestamp) -> [RelayHubAction] {
        if isShuttingDown {
            return [.send(id, .refused(RelayRefusal(.shuttingDown, "the relay is shutting down"))), .close(id)]
        }
        guard connections.count < limits.maximumConnections else {
            return refuseUnregistered(id, .tooManyConnections, "the relay is at its connection limit")
        }
        guard sourceCounts[source, default: 0] < limits.connectionsPerSource else {
            return refuseUnregistered(id, .tooManyConnections, "too many connections from \(source)")
        }
        let challenge = RelayChallenge(relayKey: relayKey, nonce: random.bytes(count: RelayChallenge.nonceByteCount))
        let deadline = now + .milliseconds(Int64(limits.authenticationTimeoutSeconds * 1_000))
        connections[id] = Connection(source: source, phase: .awaitingLogin(challenge, deadline: deadline))
        sourceCounts[source, default: 0] += 1
        return [.send(id, .challenge(challenge))]
    }

    /// One WebSocket binary message from a connection.
    public mutating func receive(_ id: ConnectionID, bytes: [UInt8], now: Timestamp) -> [RelayHubAction] {
        guard let connection = connections[id] else { return [] }
        let message: RelayMessage
        do {
            message = try RelayMessage.decode(bytes)
        } catch let error as WireError {
            if error.code == .oversize, case .authenticated = connection.phase, bytes.count > 0 {
                return refuseAndClose(id, .envelopeTooLarge, "frame rejected: \(error)")
            }
            return refuseAndClose(id, .malformedFrame, "\(error)")
        } catch {
            return refuseAndClose(id, .malformedFrame, "undecodable frame")
        }
        switch (connection.phase, message) {
        case (.awaitingLogin(let challenge, _), .authenticate(let login)):
            return logIn(id, login, challenge: challenge, now: now)
        case (.awaitingLogin, _):
            return refuseAndClose(id, .notAuthenticated, "log in before sending anything else")
        case (.authenticated(let sender), .send(let envelope)):
            return accept(envelope, from: sender, on: id, now: now)
        case (.authenticated(let recipient), .ack(let ids)):
            return acknowledge(ids, by: recipient, now: now)
        case (.authenticated(let recipient), .contacts(let senders)):
            setContacts(Set(senders), of: recipient)
            return []
        case (.authenticated, .ping(let token)):
            // Costs the relay one small frame; the WebSocket read rate bounds it like any other frame.
            return [.send(id, .pong(token))]
        case (.authenticated, _):
            return refuseAndClose(id, .unexpectedMessage, "\(message.frameType) is not expected from a client now")
        }
    }

    /// The connection is gone (closed by either side). Unacknowledged deliveries wait again.
    public mutating func disconnect(_ id: ConnectionID, now: Timestamp) -> [RelayHubAction] {
        forget(id)
    }

    /// Refuses new connections and closes every open one; live-forwarded envelopes not yet acknowledged are
    /// written to storage first, so a graceful shutdown loses nothing.
    public mutating func shutdown(now: Timestamp) -> [RelayHubAction] {
        isShuttingDown = true
        var actions: [RelayHubAction] = []
        for id in connections.keys.sorted() {
            actions.append(.send(id, .refused(RelayRefusal(.shuttingDown, "the relay is shutting down"))))
            actions += forget(id)
            actions.append(.close(id))
        }
        return actions
    }

    func refuseUnregistered(_ id: ConnectionID, _ code: RelayRefusal.Code, _ reason: String) -> [RelayHubAction] {
        [.send(id, .refused(RelayRefusal(code, reason))), .close(id)]
    }

    mutating func refuseAndClose(
        _ id: ConnectionID,
        _ code: RelayRefusal.Code,
        _ reason: String
    )
        -> [RelayHubAction]
    {
        [.send(id, .refused(RelayRefusal(code, reason)))] + forget(id) + [.close(id)]
    }

    /// Removes a connection's state; requeues its in-flight deliveries. Idempotent.
    mutating func forget(_ id: ConnectionID) -> [RelayHubAction] {
        guard let connection = connections.removeValue(forKey: id) else { return [] }
        let remaining = sourceCounts[connection.source, default: 1] - 1
        sourceCounts[connection.source] = remaining > 0 ? remaining : nil
        guard case .authenticated(let node) = connection.phase, online[node] == id else { return [] }
        online[node] = nil
        let live = mailboxes[node]?.requeueInFlight() ?? []
        return live.isEmpty ? [] : [.persist(live)]
    }
}
