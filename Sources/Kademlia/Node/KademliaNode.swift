import MeshCore

/// A Kademlia node as a sans-IO state machine (design rule 1).
///
/// Inputs: `handleDatagram(_:from:now:)`, `handleTimeout(now:)` and commands (`findNode`, `getRecord`,
/// `getProviders`, `publish`, `provide`, `bootstrap`), each of which returns a `QueryID`. Outputs:
/// `pollTransmit()` (datagrams to send), `pollEvent()` (results, rejections) and `pollTimeout()` (the next
/// instant `handleTimeout` must run; a spurious call is a no-op). It never reads a clock or makes randomness.
///
/// Not `Sendable`: one driver (an event loop, the simulator) owns it and calls it from one thread.
public final class KademliaNode {
    /// Only the signing key: the node signs messages and its own records, and needs nothing else of the
    /// identity (one guarded allocation per node matters when a simulator runs 10,000 of them).
    public let signingKey: Ed25519.PrivateKey
    public let localID: NodeID
    public let config: KademliaConfig
    public internal(set) var routingTable: RoutingTable
    public let store: any RecordStore
    public internal(set) var counters = KademliaCounters()
    /// How a received message's signature is checked: by default there and then. A driver that can verify ahead
    /// of delivery on other cores (the simulator, `SignatureVerdicts`) sets its own; a verdict is a pure function
    /// of the message, so the node behaves the same either way. It must answer for exactly the message given.
    public var signatureCheck: (SignedMessage) -> Bool = { $0.isSignatureValid }

    var random: any RandomSource
    /// Peers' keys and pair keys (decision 0124); nil when `config.pairTags` is off.
    var pairKeys: PairKeys?
    var validators: [RecordType: any RecordValidator]
    var tokens: WriteTokens
    var limiter: KeyedRateLimiter<[UInt8]>
    var pending: [UInt64: PendingRequest] = [:]
    var lookups: [QueryID: Lookup] = [:]
    var publishes: [QueryID: PublishState] = [:]
    var published: [NodeID: OwnRecord] = [:]
    /// Lookups the node starts for itself (refresh, bootstrap): their results are not reported as events.
    var internalQueries: Set<QueryID> = []
    var verifying: Set<NodeID> = []
    var bootstrapQuery: QueryID?
    var bootstrapAttempts: [TransportAddress: Int] = [:]
    /// The seeds given to `bootstrap(from:)` (at most `maximumSeeds`), asked again every `lonelyRetryInterval` while
    /// the table is empty.
    var seeds: [TransportAddress] = []
    var nextLonelyRetry: Timestamp?
    static let maximumSeeds = 64
    var transmits: [KademliaTransmit] = []
    var events: [KademliaEvent] = []
    var nextQuery: UInt64 = 1
    var nextSweep: Timestamp
    var nextRefresh: Timestamp

    public init(
        signingKey: Ed25519.PrivateKey,
        config: KademliaConfig = KademliaConfig(),
        store: any RecordStore = InMemoryRecordStore(),
        random: any RandomSource,
        validators: [any RecordValidator] = [
            AgentRecordValidator(), ProviderRecordValidator(), SealedRecordValidator(),
            OwnerRevocationRecordValidator(),
        ],
        now: Timestamp
    ) {
        self.signingKey = signingKey
        let localID = NodeID(publicKey: signingKey.publicKey)
        self.localID = localID
        self.config = config
        self.store = store
        self.random = random
        self.validators = Dictionary(validators.map { ($0.type, $0) }, uniquingKeysWith: { first, _ in first })
        self.routingTable = RoutingTable(localID: localID, config: config, now: now)
        self.tokens = WriteTokens(using: &self.random, now: now)
        self.limiter = KeyedRateLimiter(
            rate: TokenRate(perSecond: Double(config.rateLimitPerSecond), burst: Double(config.rateLimitBurst)),
            capacity: config.rateLimitSources
        )
        self.nextSweep = now + config.expirySweepInterval
        self.nextRefresh = now + config.bucketRefreshInterval
        if config.pairTags {
            do {
                self.pairKeys = try PairKeys(signingKey: signingKey, capacity: config.maximumPairKeys)
            } catch {
                // libsodium's secret-key conversion only hashes the seed and cannot fail for a key that signs; were
                // it to, the node would sign every datagram, as one with tags off does.
                self.pairKeys = nil
            }
        }
    }

    public convenience init(
        identity: AgentIdentity,
        config: KademliaConfig = KademliaConfig(),
        store: any RecordStore = InMemoryRecordStore(),
        random: any RandomSource,
        now: Timestamp
    ) {
        self.init(signingKey: identity.signingKey, config: config, store: store, random: random, now: now)
    }

    public var did: String { signingKey.publicKey.did }

    // MARK: Outputs

    public func pollTransmit() -> KademliaTransmit? {
        transmits.isEmpty ? nil : transmits.removeFirst()
    }

    /// Every queued datagram at once (cheaper than polling one by one in the simulator).
    public func drainTransmits() -> [KademliaTransmit] {
        defer { transmits.removeAll(keepingCapacity: true) }
        return transmits
    }

    public func pollEvent() -> KademliaEvent? {
        events.isEmpty ? nil : events.removeFirst()
    }

    func emit(_ event: KademliaEvent) {
        if events.count >= config.eventCapacity {
            events.removeFirst()
            counters.eventsDropped += 1
        }
        events.append(event)
    }

    func makeQueryID() -> QueryID {
        defer { nextQuery += 1 }
        return QueryID(rawValue: nextQuery)
    }

    public var activeLookups: Int { lookups.count }
    /// Peers whose keys the node remembers for pair tags.
    public var pairKeyCount: Int { pairKeys?.count ?? 0 }
    /// Pair keys derived so far, one X25519 agreement each.
    public var pairKeysDerived: Int { pairKeys?.derived ?? 0 }
    public var pendingRequests: Int { pending.count }

    /// Validates a record with its type's validator.
    public func validate(_ envelope: RecordEnvelope, now: Timestamp) throws -> ValidatedRecord {
        guard let validator = validators[envelope.type] else {
            throw RecordRejection(.unknownType, "no validator for \(envelope.type)")
        }
        return try validator.validate(
            envelope,
            now: now,
            limits: RecordLimits(
                maximumLifetime: config.maximumRecordLifetime,
                maximumClockSkew: config.maximumClockSkew
            )
        )
    }

    func countRejection(_ rejection: RecordRejection, from address: TransportAddress) {
        counters.recordsRejected[rejection.code, default: 0] += 1
        emit(.recordRejected(from: address, rejection))
    }
}

/// One request we sent and are waiting on.
struct PendingRequest {
    enum Purpose: Equatable {
        case lookup(QueryID)
        case publish(QueryID)
        case verify
        case bootstrap
        /// One direct request for a crawler (`probe(_:to:now:)`).
        case probe(QueryID, ProbeRequest)
    }

    var destination: TransportAddress
    var expectedID: NodeID?
    var expectedReply: KademliaMessage.Kind
    var purpose: Purpose
    var slowAt: Timestamp?
    var deadline: Timestamp
}

/// A record this node publishes and keeps alive by re-signing and re-publishing it.
struct OwnRecord {
    enum Kind {
        case agent(AgentRecord)
        case provider(ProviderRecord)
    }

    var kind: Kind
    var republishAt: Timestamp
}

/// A publish in progress: first a lookup under the same QueryID, then one write per closest node.
struct PublishState {
    var key: NodeID
    var envelope: RecordEnvelope
    var started: Timestamp
    /// Why this node's own store refused its copy, if it did.
    var ownCopy: RecordRejection?
    var writing = false
    var outstanding: Set<UInt64> = []
    var accepted = 0
    var refused = 0
    var unanswered = 0
}
