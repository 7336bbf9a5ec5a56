// The owner's controls at the local API: the audit log and the circuit breaker. JSON keys are snake_case like every
// other body; docs/openapi.yaml describes the same shapes.

/// One audit entry as the API shows it (`GET /v1/audit`, the `audit` event).
public struct AuditEntryView: Hashable, Sendable, Codable {
    public var seq: UInt64
    /// RFC 3339 UTC.
    public var at: String
    public var kind: String
    public var peer: String?
    public var intent: String?
    public var size: Int?
    public var path: String?
    public var detail: [String: String]
    /// Hex.
    public var hash: String
    public var prevHash: String

    public init(
        seq: UInt64,
        at: String,
        kind: String,
        peer: String?,
        intent: String?,
        size: Int?,
        path: String?,
        detail: [String: String],
        hash: String,
        prevHash: String
    ) {
        self.seq = seq
        self.at = at
        self.kind = kind
        self.peer = peer
        self.intent = intent
        self.size = size
        self.path = path
        self.detail = detail
        self.hash = hash
        self.prevHash = prevHash
    }

    enum CodingKeys: String, CodingKey {
        case seq, at, kind, peer, intent, size, path, detail, hash
        case prevHash = "prev_hash"
    }
}

/// `GET /v1/audit?after=&limit=`: entries after `after`, oldest first; `next` is the cursor for the following
/// page, null when this page reached the newest entry.
public struct AuditPage: Hashable, Sendable, Codable {
    public var entries: [AuditEntryView]
    public var next: UInt64?

    public init(entries: [AuditEntryView], next: UInt64?) {
        self.entries = entries
        self.next = next
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(entries, forKey: .entries)
        try container.encode(next, forKey: .next)  // null, not absent
    }

    enum CodingKeys: String, CodingKey { case entries, next }
}

/// Where a trimmed head of the log ended (signed by the node).
public struct AuditCheckpointView: Hashable, Sendable, Codable {
    public var seq: UInt64
    public var hash: String
    public var at: String
    public var trimmedTotal: UInt64
    public var signature: String

    public init(seq: UInt64, hash: String, at: String, trimmedTotal: UInt64, signature: String) {
        self.seq = seq
        self.hash = hash
        self.at = at
        self.trimmedTotal = trimmedTotal
        self.signature = signature
    }

    enum CodingKeys: String, CodingKey {
        case seq, hash, at, signature
        case trimmedTotal = "trimmed_total"
    }
}

/// `GET /v1/audit/verify`.
public struct AuditVerification: Hashable, Sendable, Codable {
    public var ok: Bool
    public var entries: Int
    public var firstBadSeq: UInt64?
    public var reason: String?
    public var checkpoint: AuditCheckpointView?

    public init(ok: Bool, entries: Int, firstBadSeq: UInt64?, reason: String?, checkpoint: AuditCheckpointView?) {
        self.ok = ok
        self.entries = entries
        self.firstBadSeq = firstBadSeq
        self.reason = reason
        self.checkpoint = checkpoint
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(ok, forKey: .ok)
        try container.encode(entries, forKey: .entries)
        try container.encode(firstBadSeq, forKey: .firstBadSeq)
        try container.encode(reason, forKey: .reason)
        try container.encode(checkpoint, forKey: .checkpoint)
    }

    enum CodingKeys: String, CodingKey {
        case ok, entries, reason, checkpoint
        case firstBadSeq = "first_bad_seq"
    }
}

/// `GET /v1/breaker` (and the answer to trip and reset, and the `breaker` event).
public struct BreakerStatus: Hashable, Sendable, Codable {
    /// "closed" (sending allowed) or "tripped" (nothing leaves).
    public var state: String
    public var reason: String?
    /// RFC 3339 UTC: when it tripped.
    public var since: String?
    /// Tripped by an anomaly rather than by the owner.
    public var automatic: Bool
    public var limits: BreakerLimitsView

    public init(state: String, reason: String?, since: String?, automatic: Bool, limits: BreakerLimitsView) {
        self.state = state
        self.reason = reason
        self.since = since
        self.automatic = automatic
        self.limits = limits
    }

    public var isTripped: Bool { state == "tripped" }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(state, forKey: .state)
        try container.encode(reason, forKey: .reason)
        try container.encode(since, forKey: .since)
        try container.encode(automatic, forKey: .automatic)
        try container.encode(limits, forKey: .limits)
    }

    enum CodingKeys: String, CodingKey { case state, reason, since, automatic, limits }
}

/// The breaker's limits as the API shows them.
public struct BreakerLimitsView: Hashable, Sendable, Codable {
    public struct Rate: Hashable, Sendable, Codable {
        public var perSecond: Double
        public var burst: Double

        public init(perSecond: Double, burst: Double) {
            self.perSecond = perSecond
            self.burst = burst
        }

        enum CodingKeys: String, CodingKey {
            case burst
            case perSecond = "per_second"
        }
    }

    public struct Threshold: Hashable, Sendable, Codable {
        public var count: Int
        public var windowSeconds: Int

        public init(count: Int, windowSeconds: Int) {
            self.count = count
            self.windowSeconds = windowSeconds
        }

        enum CodingKeys: String, CodingKey {
            case count
            case windowSeconds = "window_seconds"
        }
    }

    public var perPeer: Rate
    public var perIntent: Rate
    public var sendSpike: Threshold
    public var newContacts: Threshold
    public var decryptFailures: Threshold
    public var newPeers: Threshold

    public init(
        perPeer: Rate,
        perIntent: Rate,
        sendSpike: Threshold,
        newContacts: Threshold,
        decryptFailures: Threshold,
        newPeers: Threshold
    ) {
        self.perPeer = perPeer
        self.perIntent = perIntent
        self.sendSpike = sendSpike
        self.newContacts = newContacts
        self.decryptFailures = decryptFailures
        self.newPeers = newPeers
    }

    enum CodingKeys: String, CodingKey {
        case perPeer = "per_peer"
        case perIntent = "per_intent"
        case sendSpike = "send_spike"
        case newContacts = "new_contacts"
        case decryptFailures = "decrypt_failures"
        case newPeers = "new_peers"
    }
}

/// `POST /v1/breaker/trip`.
public struct BreakerTripRequest: Hashable, Sendable, Codable {
    public var reason: String

    public init(reason: String) { self.reason = reason }
}
