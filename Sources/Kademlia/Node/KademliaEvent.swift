import MeshCore

/// What a lookup found.
public struct LookupResult: Sendable {
    public var id: QueryID
    public var kind: LookupKind
    public var target: NodeID
    /// The closest nodes that answered, nearest first.
    public var closest: [Contact]
    /// For `.findValue`: the newest valid record seen.
    public var record: ValidatedRecord?
    /// For `.getProviders`: valid provider entries, one per provider.
    public var providers: [ValidatedRecord]
    public var hops: Int
    public var messagesSent: Int
    public var started: Timestamp
    public var finished: Timestamp
    public var timedOut: Bool

    public var agentRecord: AgentRecord? {
        guard let record, record.type == .agent else { return nil }
        return try? AgentRecord(wireBytes: record.envelope.bytes)
    }

    public var providerRecords: [ProviderRecord] {
        providers.compactMap { try? ProviderRecord(wireBytes: $0.envelope.bytes) }
    }
}

/// How a publish (a lookup of the k closest, then a write to each) went.
public struct PublishResult: Sendable, Equatable {
    public var id: QueryID
    public var key: NodeID
    public var type: RecordType
    /// Writes acknowledged, refused and unanswered.
    public var accepted: Int
    public var refused: Int
    public var unanswered: Int
    public var started: Timestamp
    public var finished: Timestamp
    /// Why this node's own store refused its copy (stale behind a higher sequence, at capacity); nil when it kept it.
    public var ownCopyRefused: RecordRejection? = nil
}

/// Why an inbound datagram was dropped. Each is counted in `KademliaCounters`.
public enum KademliaDropReason: String, Sendable, CaseIterable {
    case rateLimited = "rate-limited"
    case malformed
    case badSignature = "bad-signature"
    /// A tagged datagram whose pair tag does not check out (decision 0124).
    case badTag = "bad-tag"
    case staleTimestamp = "stale-timestamp"
    case unsolicited
    case fromSelf = "from-self"
    case overloaded
}

/// The core's outputs besides datagrams. The queue is bounded (`eventCapacity`); overflow drops the oldest
/// event and counts it.
public enum KademliaEvent: Sendable {
    case lookupFinished(LookupResult)
    case publishFinished(PublishResult)
    /// A `probe` was answered or timed out (decision 0088).
    case probeFinished(ProbeResult)
    case recordRejected(from: TransportAddress, RecordRejection)
    case contactAdded(Contact)
    case contactEvicted(NodeID)
}

/// Counters for everything the node refused or lost, so bad input is visible without logging every packet.
public struct KademliaCounters: Sendable, Equatable {
    public var received = 0
    public var sent = 0
    public var dropped: [KademliaDropReason: Int] = [:]
    public var recordsRejected: [RecordRejection.Code: Int] = [:]
    public var recordsAccepted = 0
    public var eventsDropped = 0
    public var requestsTimedOut = 0
    public var bootstrapRetries = 0
    /// Datagrams sent and received with a pair tag rather than a signature (decision 0124).
    public var sentTagged = 0
    public var receivedTagged = 0

    public init() {}
}

/// A datagram the driver must send.
public struct KademliaTransmit: Sendable, Equatable {
    public var destination: TransportAddress
    public var bytes: [UInt8]
}
