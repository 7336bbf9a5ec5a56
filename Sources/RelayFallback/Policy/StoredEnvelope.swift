import MeshCore

/// What the relay knows about an envelope it holds, without its payload (which stays on disk).
public struct StoredEnvelopeMeta: Hashable, Sendable {
    public let sequence: UInt64
    public let id: EnvelopeID
    public let sender: NodeID
    public let recipient: NodeID
    public let byteCount: Int
    public let expiresAt: Timestamp
    /// From a sender not on the recipient's contact list: counted against the first-contact quota. Not
    /// stored: after a restart every held envelope counts against the ordinary mailbox quota.
    public let isFirstContact: Bool

    public init(
        sequence: UInt64,
        id: EnvelopeID,
        sender: NodeID,
        recipient: NodeID,
        byteCount: Int,
        expiresAt: Timestamp,
        isFirstContact: Bool = false
    ) {
        self.isFirstContact = isFirstContact
        self.sequence = sequence
        self.id = id
        self.sender = sender
        self.recipient = recipient
        self.byteCount = byteCount
        self.expiresAt = expiresAt
    }
}

/// An envelope to write to durable storage.
public struct StoredEnvelope: Hashable, Sendable {
    public let meta: StoredEnvelopeMeta
    public let payload: [UInt8]

    public init(meta: StoredEnvelopeMeta, payload: [UInt8]) {
        self.meta = meta
        self.payload = payload
    }
}

/// A delivered (acknowledged) envelope's ID and how long a resend of it is answered `duplicate`; the relay
/// persists these so its duplicate memory survives a restart.
public struct DeliveredRecord: Hashable, Sendable {
    public let id: EnvelopeID
    public let expiresAt: Timestamp
    public init(id: EnvelopeID, expiresAt: Timestamp) {
        self.id = id
        self.expiresAt = expiresAt
    }
}

/// Recently delivered IDs, remembered in a bounded FIFO so a late resend of a delivered envelope is a duplicate.
struct RecentIDs: Sendable {
    private var order: [EnvelopeID?]
    private var members: Set<EnvelopeID> = []
    private var next = 0

    init(capacity: Int) {
        order = Array(repeating: nil, count: max(capacity, 1))
    }

    func contains(_ id: EnvelopeID) -> Bool { members.contains(id) }

    mutating func insert(_ id: EnvelopeID) {
        guard !members.contains(id) else { return }
        if let evicted = order[next] { members.remove(evicted) }
        order[next] = id
        members.insert(id)
        next = (next + 1) % order.count
    }
}
