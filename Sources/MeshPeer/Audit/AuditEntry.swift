import MeshCore

/// One row of the owner's audit log: what the node did or was asked, when, with whom. Entries are chained: each
/// carries the hash of the one before (`previousHash`) and its own (`hash`, over its contents and that link), so
/// an edited, reordered or deleted row breaks the chain where it happened (`AuditVerifier`).
public struct AuditEntry: Hashable, Sendable {
    /// What happened. A string, so a newer node's kinds still verify and show on an older one.
    public struct Kind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let knockReceived = Kind("knock.received")
        public static let knockDecided = Kind("knock.decided")
        public static let knockSent = Kind("knock.sent")
        public static let knockAnswered = Kind("knock.answered")
        public static let messageSent = Kind("message.sent")
        public static let messageReceived = Kind("message.received")
        public static let breakerTripped = Kind("breaker.tripped")
        public static let breakerReset = Kind("breaker.reset")
        public static let policyChanged = Kind("policy.changed")
        public static let auditTrimmed = Kind("audit.trimmed")
    }

    /// The facts an entry records, before the log gives it a place in the chain.
    public struct Record: Hashable, Sendable {
        public var kind: Kind
        public var peer: String?
        public var intent: String?
        public var size: Int?
        /// How a message went or came: "relay" or "direct".
        public var path: String?
        /// Anything else worth keeping (a decision's reason, a breaker's reason, a body when the owner opted in).
        public var detail: [String: String]

        public init(
            kind: Kind,
            peer: String? = nil,
            intent: String? = nil,
            size: Int? = nil,
            path: String? = nil,
            detail: [String: String] = [:]
        ) {
            self.kind = kind
            self.peer = peer
            self.intent = intent
            self.size = size
            self.path = path
            self.detail = detail
        }
    }

    public var sequence: UInt64
    public var at: Timestamp
    public var record: Record
    public var previousHash: [UInt8]
    public var hash: [UInt8]

    public init(sequence: UInt64, at: Timestamp, record: Record, previousHash: [UInt8], hash: [UInt8]) {
        self.sequence = sequence
        self.at = at
        self.record = record
        self.previousHash = previousHash
        self.hash = hash
    }

    /// The next entry after a chain whose last sequence number and hash are `after`: its hash computed here.
    public static func next(
        _ record: Record,
        after head: (sequence: UInt64, hash: [UInt8]),
        at: Timestamp
    ) -> AuditEntry {
        let record = AuditLimits.clamp(record)
        let sequence = head.sequence + 1
        let hash = AuditChain.hash(sequence: sequence, at: at, record: record, previousHash: head.hash)
        return AuditEntry(sequence: sequence, at: at, record: record, previousHash: head.hash, hash: hash)
    }
}
