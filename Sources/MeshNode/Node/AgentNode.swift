import Foundation
import GRDB
import Kademlia
import Logging
import MeshCore
import MeshPeer
import Ratchet
import RatchetStore
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
    let relays: any RelayTransport
    let clock: any MeshClock
    let logger: Logger
    let events = EventHub()
    let figures = NodeMetrics()
    let metricsText: @Sendable () -> String
    let startedAt: Timestamp

    var gate: KnockGate
    var policy: KnockPolicy
    let policyPath: String?
    var policyStamp: FileStamp?
    var card: NodeCard
    var tokens: [KnockToken]
    var published = false
    /// The full A2A card with MeshPeer's extensions, as served to a contact's `capability.query`.
    var servedCard: JSONValue = .null
    var lastPublish: Timestamp?
    var publishedCapabilities: Set<String> = []
    var lastPublishedHomes: [String] = []
    var apiURL: String?
    var outboxSleeper: Task<Void, any Error>?
    var wakePending = false
    var lastHomeRefresh: [String: Timestamp] = [:]

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
        logger: Logger,
        metricsText: @escaping @Sendable () -> String
    ) throws {
        self.identity = identity
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
        self.relays = relays
        self.clock = clock
        self.logger = logger
        self.metricsText = metricsText
        self.card = card
        self.policy = policy
        self.policyPath = policyPath
        self.policyStamp = policyStamp
        self.gate = KnockGate(configuration: KnockGate.Configuration())
        startedAt = clock.now()
        tokens = try database.pool.write { db in try AgentNode.loadTokens(db) }
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

    /// A new knock token: knocks carrying the old one are refused from now on (the previous one stays valid
    /// until the record carrying the new one has spread: one record lifetime).
    public func rotateKnockToken() async throws {
        var random = SystemRandom()
        let fresh = KnockToken.random(using: &random)
        tokens = [fresh] + tokens.prefix(1)
        let bytes = tokens.flatMap(\.bytes)
        try await database.pool.write { db in try NodeMetaStore.set("knock-tokens", bytes, db) }
        await publishRecord(reason: "knock token rotated")
    }

    func setAPIURL(_ url: String) { apiURL = url }

    func wakeOutbox() {
        wakePending = true
        outboxSleeper?.cancel()
    }
}
