// The local API's request and response bodies. JSON keys are snake_case, as agents in most languages expect;
// docs/openapi.yaml describes the same shapes and a test checks the running server against it.

/// `GET /v1/status`.
public struct NodeStatus: Hashable, Sendable, Codable {
    public var did: String
    public var nodeID: String
    public var version: String
    public var uptimeSeconds: Int
    /// Verified contacts in the DHT routing table.
    public var dhtContacts: Int
    /// True when the node has published its current record to at least one DHT node.
    public var published: Bool
    public var relays: [RelayStatus]
    public var outboxPending: Int
    public var inboxCount: Int
    public var knocksPending: Int
    public var contacts: Int
    public var apiURL: String?
    /// Who can find the agent (`listed`, `unlisted`, `private`); absent from nodes that predate the setting.
    public var exposure: Exposure?
    /// The NAT in front of the node, as it last measured it (decision 0101); nil until the first probe ends.
    public var nat: NATStatus?

    public init(
        did: String,
        nodeID: String,
        version: String,
        uptimeSeconds: Int,
        dhtContacts: Int,
        published: Bool,
        relays: [RelayStatus],
        outboxPending: Int,
        inboxCount: Int,
        knocksPending: Int,
        contacts: Int,
        apiURL: String? = nil,
        exposure: Exposure? = nil,
        nat: NATStatus? = nil
    ) {
        self.did = did
        self.nodeID = nodeID
        self.version = version
        self.uptimeSeconds = uptimeSeconds
        self.dhtContacts = dhtContacts
        self.published = published
        self.relays = relays
        self.outboxPending = outboxPending
        self.inboxCount = inboxCount
        self.knocksPending = knocksPending
        self.contacts = contacts
        self.apiURL = apiURL
        self.exposure = exposure
        self.nat = nat
    }

    enum CodingKeys: String, CodingKey {
        case did, version, published, relays, contacts, exposure, nat
        case nodeID = "node_id"
        case uptimeSeconds = "uptime_seconds"
        case dhtContacts = "dht_contacts"
        case outboxPending = "outbox_pending"
        case inboxCount = "inbox_count"
        case knocksPending = "knocks_pending"
        case apiURL = "api_url"
    }
}

public struct RelayStatus: Hashable, Sendable, Codable {
    public var address: String
    /// `ready`, `connecting` or `down`.
    public var state: String
    public var home: Bool
    public var roundTripMs: Double?
    /// The last connect failure, with its reason (relay down, TLS refused, login rejected).
    public var lastError: String?

    public init(address: String, state: String, home: Bool, roundTripMs: Double? = nil, lastError: String? = nil) {
        self.address = address
        self.state = state
        self.home = home
        self.roundTripMs = roundTripMs
        self.lastError = lastError
    }

    enum CodingKeys: String, CodingKey {
        case address, state, home
        case roundTripMs = "round_trip_ms"
        case lastError = "last_error"
    }
}

/// `GET /v1/find?capability=...` or `?did=...`.
public enum FindQuery: Hashable, Sendable {
    case capability(String)
    case did(String)
    /// Free words, answered through the configured indexers (every result verified), else by capability keys.
    case words(String)
}

/// One agent found in the DHT, after its record's signature and freshness were checked.
public struct AgentSummary: Hashable, Sendable, Codable {
    public var did: String
    /// The compact A2A agent card from the signed record.
    public var card: JSONValue
    public var homeRelays: [String]
    public var sequence: UInt64
    public var expiresAt: String
    /// Whether this node may already message the agent (`contact`), has knocked (`knocked`), or neither.
    public var relationship: String

    public init(
        did: String,
        card: JSONValue,
        homeRelays: [String],
        sequence: UInt64,
        expiresAt: String,
        relationship: String
    ) {
        self.did = did
        self.card = card
        self.homeRelays = homeRelays
        self.sequence = sequence
        self.expiresAt = expiresAt
        self.relationship = relationship
    }

    enum CodingKeys: String, CodingKey {
        case did, card, sequence, relationship
        case homeRelays = "home_relays"
        case expiresAt = "expires_at"
    }
}

/// `POST /v1/knocks`: first contact.
public struct KnockRequest: Hashable, Sendable, Codable {
    public var to: String
    public var intent: String
    public var purpose: String
    /// The DID of a contact of the recipient who introduced us, if any.
    public var introducedBy: String?

    public init(to: String, intent: String, purpose: String, introducedBy: String? = nil) {
        self.to = to
        self.intent = intent
        self.purpose = purpose
        self.introducedBy = introducedBy
    }

    enum CodingKeys: String, CodingKey {
        case to, intent, purpose
        case introducedBy = "introduced_by"
    }
}

/// A knock, sent or received, and where it stands.
public struct KnockSummary: Hashable, Sendable, Codable {
    public var id: String
    /// `outgoing` or `incoming`.
    public var direction: String
    /// The other agent's DID.
    public var peer: String
    public var intent: String
    public var purpose: String
    /// `pending`, `held`, `accepted` or `rejected`.
    public var state: String
    public var reason: String?
    public var introducedBy: String?
    public var createdAt: String
    public var decidedAt: String?

    public init(
        id: String,
        direction: String,
        peer: String,
        intent: String,
        purpose: String,
        state: String,
        reason: String? = nil,
        introducedBy: String? = nil,
        createdAt: String,
        decidedAt: String? = nil
    ) {
        self.id = id
        self.direction = direction
        self.peer = peer
        self.intent = intent
        self.purpose = purpose
        self.state = state
        self.reason = reason
        self.introducedBy = introducedBy
        self.createdAt = createdAt
        self.decidedAt = decidedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, direction, peer, intent, purpose, state, reason
        case introducedBy = "introduced_by"
        case createdAt = "created_at"
        case decidedAt = "decided_at"
    }
}

/// `POST /v1/knocks/{id}/approve` and `/deny`.
public struct KnockDecisionRequest: Hashable, Sendable, Codable {
    public var reason: String?
    public init(reason: String? = nil) { self.reason = reason }
}

/// `POST /v1/messages`: send a typed message to a contact.
public struct SendRequest: Hashable, Sendable, Codable {
    public var to: String
    public var intent: String
    public var body: JSONValue
    public var inReplyTo: String?
    /// Seconds until the message is no longer worth delivering (default: the node's, at most 7 days).
    public var expiresInSeconds: Int?

    public init(to: String, intent: String, body: JSONValue, inReplyTo: String? = nil, expiresInSeconds: Int? = nil) {
        self.to = to
        self.intent = intent
        self.body = body
        self.inReplyTo = inReplyTo
        self.expiresInSeconds = expiresInSeconds
    }

    enum CodingKeys: String, CodingKey {
        case to, intent, body
        case inReplyTo = "in_reply_to"
        case expiresInSeconds = "expires_in_seconds"
    }
}

/// A message this node sent and its delivery state: `queued` (stored, not yet accepted by a relay),
/// `relayed` (a relay holds it), `delivered` (the recipient's receipt came back), `expired` or `failed`.
public struct SentMessage: Hashable, Sendable, Codable {
    public var id: String
    public var to: String
    public var intent: String
    public var state: String
    public var createdAt: String
    public var expiresAt: String
    public var deliveredAt: String?
    public var attempts: Int
    public var lastError: String?

    public init(
        id: String,
        to: String,
        intent: String,
        state: String,
        createdAt: String,
        expiresAt: String,
        deliveredAt: String? = nil,
        attempts: Int,
        lastError: String? = nil
    ) {
        self.id = id
        self.to = to
        self.intent = intent
        self.state = state
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.deliveredAt = deliveredAt
        self.attempts = attempts
        self.lastError = lastError
    }

    enum CodingKeys: String, CodingKey {
        case id, to, intent, state, attempts
        case createdAt = "created_at"
        case expiresAt = "expires_at"
        case deliveredAt = "delivered_at"
        case lastError = "last_error"
    }
}

/// A received message, as the agent reads it.
public struct InboxMessage: Hashable, Sendable, Codable {
    /// The node's local, strictly increasing position of this message: pass it back as `after`.
    public var cursor: Int64
    public var id: String
    public var from: String
    public var intent: String
    public var body: JSONValue
    public var inReplyTo: String?
    public var createdAt: String
    public var receivedAt: String
    public var expiresAt: String?

    public init(
        cursor: Int64,
        id: String,
        from: String,
        intent: String,
        body: JSONValue,
        inReplyTo: String?,
        createdAt: String,
        receivedAt: String,
        expiresAt: String?
    ) {
        self.cursor = cursor
        self.id = id
        self.from = from
        self.intent = intent
        self.body = body
        self.inReplyTo = inReplyTo
        self.createdAt = createdAt
        self.receivedAt = receivedAt
        self.expiresAt = expiresAt
    }

    enum CodingKeys: String, CodingKey {
        case cursor, id, from, intent, body
        case inReplyTo = "in_reply_to"
        case createdAt = "created_at"
        case receivedAt = "received_at"
        case expiresAt = "expires_at"
    }
}

/// `GET /v1/messages?after=N&limit=M&wait=S`.
public struct MessagePage: Hashable, Sendable, Codable {
    public var messages: [InboxMessage]
    /// The cursor to pass as `after` next time (the last message's, or the request's when empty).
    public var cursor: Int64

    public init(messages: [InboxMessage], cursor: Int64) {
        self.messages = messages
        self.cursor = cursor
    }
}

/// `GET /v1/contacts`: agents whose knock this node accepted, or who accepted ours.
public struct ContactSummary: Hashable, Sendable, Codable {
    public var did: String
    public var name: String?
    public var since: String
    public var homeRelays: [String]
    public var lastMessageAt: String?
    /// `TrustTier` (decision 0093); absent from nodes that predate it.
    public var tier: TrustTier?

    public init(
        did: String,
        name: String?,
        since: String,
        homeRelays: [String],
        lastMessageAt: String?,
        tier: TrustTier? = nil
    ) {
        self.did = did
        self.name = name
        self.since = since
        self.homeRelays = homeRelays
        self.lastMessageAt = lastMessageAt
        self.tier = tier
    }

    enum CodingKeys: String, CodingKey {
        case did, name, since, tier
        case homeRelays = "home_relays"
        case lastMessageAt = "last_message_at"
    }
}

/// One event on `GET /v1/events` (server-sent events: `event:` is `type`, `data:` this object as JSON).
public struct NodeEvent: Hashable, Sendable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// A message arrived (`message` is set; `cursor` is its inbox cursor).
        case message
        /// A recipient's receipt came back for a message we sent (`sent` is set).
        case receipt
        /// A knock arrived, or one of ours was answered (`knock` is set).
        case knock
        /// A message could not be delivered (`sent` is set, with `last_error`).
        case deliveryFailed = "delivery_failed"
        /// A new audit entry (`audit` is set).
        case audit
        /// The circuit breaker tripped or was reset (`breaker` is set).
        case breaker
    }

    public var type: Kind
    public var cursor: Int64?
    public var message: InboxMessage?
    public var sent: SentMessage?
    public var knock: KnockSummary?
    public var audit: AuditEntryView?
    public var breaker: BreakerStatus?
    /// Live events this subscriber missed before this one because it fell behind (catch up by cursor).
    public var dropped: Int

    public init(
        type: Kind,
        cursor: Int64? = nil,
        message: InboxMessage? = nil,
        sent: SentMessage? = nil,
        knock: KnockSummary? = nil,
        audit: AuditEntryView? = nil,
        breaker: BreakerStatus? = nil,
        dropped: Int = 0
    ) {
        self.type = type
        self.cursor = cursor
        self.message = message
        self.sent = sent
        self.knock = knock
        self.audit = audit
        self.breaker = breaker
        self.dropped = dropped
    }
}

/// `POST /v1/knock-token/rotate`: what changed. The token itself is not shown: it is in the published record.
public struct KnockTokenRotation: Hashable, Sendable, Codable {
    public var rotatedAt: String
    /// Until then knocks carrying the previous token are still accepted.
    public var previousValidUntil: String

    public init(rotatedAt: String, previousValidUntil: String) {
        self.rotatedAt = rotatedAt
        self.previousValidUntil = previousValidUntil
    }

    enum CodingKeys: String, CodingKey {
        case rotatedAt = "rotated_at"
        case previousValidUntil = "previous_valid_until"
    }
}
