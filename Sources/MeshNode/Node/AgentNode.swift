import DirectPath
import Foundation
import GRDB
import Kademlia
import Logging
import MeshCore
import MeshDHT
import MeshPeer
import NIOCore
import Ratchet
import RatchetStore
import RelayClient
import RelayFallback

/// The running node: an actor that owns the node's state between IO events. It receives relay events, drives the
/// outbox, publishes the record, and answers the local API (`NodeControl`). Every change that must survive a
/// crash happens in one `NodeLedger` transaction; events go out and relays are acknowledged only after commit.
public actor AgentNode {
    let identity: AgentIdentity
    let home: String
    let configuration: NodeConfiguration
    let database: NodeDatabase
    let ledger: NodeLedger
    let dht: DHTNode
    /// The node's relays behind `sendGate`: every outgoing envelope passes the circuit breaker there.
    let relays: any RelayTransport
    let sendGate: SendGate
    let clock: any MeshClock
    let logger: Logger
    let events = EventHub()
    let figures = NodeMetrics()
    let metricsText: @Sendable () -> String
    let startedAt: Timestamp
    /// GETs to the configured indexers, on the node's event-loop group.
    let indexerFetch: IndexerFetch

    var gate: KnockGate
    var policy: KnockPolicy
    let policyPath: String?
    var policyStamp: FileStamp?
    /// The card file's stamp when an edit of it was refused (so the refusal is reported once).
    var rejectedCardStamp: FileStamp?
    var card: NodeCard
    /// The knock tokens, current first; the previous one is accepted until `previousTokenUntil`.
    var tokens: [KnockToken]
    var previousTokenUntil: Timestamp?
    var published = false
    /// The full A2A card with MeshPeer's extensions, as served to a contact's `capability.query`.
    var servedCard: JSONValue = .null
    var lastPublish: Timestamp?
    var publishedCapabilities: Set<String> = []
    var lastPublishedHomes: [String] = []
    /// The address hints in the last record published (`addressHints()`): a change republishes.
    var lastPublishedHints: [AddressHint] = []
    var apiURL: String?
    let outboxSleep = WakeableSleep()
    var lastHomeRefresh: [String: Timestamp] = [:]
    var lastHousekeeping = Timestamp.zero
    /// Revocations owners published under their own keys, and when to look each owner up again (decision 0100).
    var ownerRevocationCache = OwnerRevocationCache()
    /// The contact list's background refresh of stale owner answers (`cachedOwnerRevocations`); one at a time.
    var ownerRefresh: Task<Void, Never>?
    /// When to classify the NAT and what was found (decision 0101); due at start.
    lazy var natWatch = NATWatch(now: startedAt)
    /// Relay events read but not yet handled (bounded by the pool's own event buffer, which this drains).
    var pendingInbound: [RelayPoolEvent] = []
    /// Sends waiting for the next group commit, and whether one is running. Bounded by the API's connection limit
    /// (each waiting send is one request in flight).
    var pendingSends: [(PendingSend, CheckedContinuation<Result<OutboxEntry, NodeAPIError>, Never>)] = []
    var sendFlushRunning = false
    /// The reader waiting for room in `pendingInbound`, if it is full.
    var inboundRoom: CheckedContinuation<Void, Never>?
    /// Direct paths: the manager (relay or direct per conversation), each attempt's sockets and channel, which
    /// conversations run direct now, and the manager's one timer. `direct` is nil when direct paths are off.
    let direct: DirectSetup?
    var paths: PathManager<SystemRandom>
    var links: [UInt64: DirectLink] = [:]
    var directPeers: [String: UInt64] = [:]
    var pathTimer: Task<Void, Never>?
    var pathsClosed = false

    public static let pendingKnocks = PendingKnocks.Configuration()

    init(
        identity: AgentIdentity,
        home: String,
        configuration: NodeConfiguration,
        database: NodeDatabase,
        dht: DHTNode,
        relays: any RelayTransport,
        card: NodeCard,
        policy: KnockPolicy,
        policyPath: String?,
        policyStamp: FileStamp?,
        clock: any MeshClock = SystemClock(),
        direct: DirectSetup? = nil,
        group: any EventLoopGroup,
        logger: Logger,
        metricsText: @escaping @Sendable () -> String
    ) throws {
        self.identity = identity
        self.indexerFetch = IndexerFetch(group: group)
        self.direct = direct
        var pathConfiguration = PathConfiguration(ciphers: ChannelCipher.supported.map(\.rawValue))
        pathConfiguration.mode = configuration.direct.mode
        paths = PathManager(configuration: pathConfiguration, random: SystemRandom())
        self.home = home
        self.configuration = configuration
        self.database = database
        let ratchet = try RatchetStore.shared(
            database: database.pool,
            key: RatchetStore.key(for: identity),
            schedule: NodeCard.prekeySchedule
        )
        ledger = NodeLedger(
            identity: identity,
            ratchet: ratchet,
            messageExpiry: .seconds(configuration.messageExpirySeconds)
        )
        self.dht = dht
        sendGate = SendGate(limits: configuration.breaker.limits)
        self.relays = GatedRelayTransport(inner: relays, gate: sendGate)
        self.clock = clock
        self.logger = logger
        self.metricsText = metricsText
        self.card = card
        self.policy = policy
        self.policyPath = policyPath
        self.policyStamp = policyStamp
        self.gate = KnockGate(configuration: KnockGate.Configuration())
        startedAt = clock.now()
        let recordBodies = configuration.audit.recordBodies
        (tokens, previousTokenUntil) = try database.pool.write { db in
            try AuditStore.setRecordsBodies(recordBodies, db)
            return (
                try AgentNode.loadTokens(db),
                try NodeMetaStore.get("knock-token-previous-until", db).map { _ in
                    Timestamp(milliseconds: Int64(try NodeMetaStore.integer("knock-token-previous-until", db)))
                }
            )
        }
        sendGate.restore(try database.pool.read { db in try BreakerStore.load(db) })
    }

    var did: String { identity.did }
    var now: Timestamp { clock.now() }

    /// The node's knock tokens, current first; made on first start.
    static func loadTokens(_ db: Database) throws -> [KnockToken] {
        if let bytes = try NodeMetaStore.get("knock-tokens", db), !bytes.isEmpty,
            bytes.count % KnockToken.byteCount == 0
        {
            return try stride(from: 0, to: bytes.count, by: KnockToken.byteCount).map {
                try KnockToken(bytes: Array(bytes[$0..<$0 + KnockToken.byteCount]))
            }
        }
        var random = SystemRandom()
        let token = KnockToken.random(using: &random)
        try NodeMetaStore.set("knock-tokens", token.bytes, db)
        return [token]
    }

    /// The tokens a knock may carry now: the current one, and the previous one during its grace.
    var acceptedTokens: [KnockToken] {
        guard tokens.count > 1, let until = previousTokenUntil, now < until else { return Array(tokens.prefix(1)) }
        return Array(tokens.prefix(2))
    }

    func setAPIURL(_ url: String) { apiURL = url }

    func wakeOutbox() {
        outboxSleep.wake()
    }

    /// A database write whose failure the node survives because a later pass does it again (an outbox update,
    /// a gap release): the error is logged and counted, never silent.
    func persist(_ what: String, _ body: @escaping @Sendable (Database) throws -> Void) async {
        do {
            try await database.pool.write(body)
        } catch {
            figures.storageErrors.increment()
            logger.error("storage: \(what) failed", metadata: ["error": "\(error)"])
        }
    }

    /// A read with a fallback, for figures and scheduling only; a failure is logged and counted.
    func lookUp<T: Sendable>(
        _ what: String,
        or fallback: T,
        _ body: @escaping @Sendable (Database) throws -> T
    ) async
        -> T
    {
        do {
            return try await database.pool.read(body)
        } catch {
            figures.storageErrors.increment()
            logger.error("storage: \(what) failed", metadata: ["error": "\(error)"])
            return fallback
        }
    }
}
