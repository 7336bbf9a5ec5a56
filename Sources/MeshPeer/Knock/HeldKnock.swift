import MeshCore

/// A knock held for the owner's decision: what the owner sees, and what it costs to keep.
public struct HeldKnock: Hashable, Sendable {
    public let id: MessageID
    /// The sender's DID.
    public let sender: String
    public let intent: String
    public let purpose: String
    public let introducedBy: String?
    public let receivedAt: Timestamp
    /// What holding it costs (the node passes the envelope's size); counted against `maximumBytes`.
    public let byteCount: Int

    public init(
        id: MessageID,
        sender: String,
        intent: String,
        purpose: String,
        introducedBy: String?,
        receivedAt: Timestamp,
        byteCount: Int
    ) {
        self.id = id
        self.sender = sender
        self.intent = intent
        self.purpose = purpose
        self.introducedBy = introducedBy
        self.receivedAt = receivedAt
        self.byteCount = max(byteCount, 0)
    }
}

/// What `PendingKnocks.insert` did.
public enum PendingInsertResult: Hashable, Sendable {
    /// Held; `evicted` lists the knocks dropped to make room, in the order they went.
    case held(evicted: [PendingEviction])
    /// A knock with this ID is already held; nothing changed.
    case duplicate
    /// Larger than `maximumBytes` on its own; nothing changed.
    case tooLarge
}

/// A held knock dropped by `insert` or `expire`, and why (the node deletes its row and audits the reason).
public struct PendingEviction: Hashable, Sendable {
    public enum Reason: String, Hashable, Sendable {
        /// The same sender knocked again: its newest knock replaces the oldest of its held ones.
        case replacedBySameSender = "replaced-by-same-sender"
        /// The list was full (count or bytes): the oldest held knock made room.
        case full
        /// Held longer than `maximumAge`.
        case expired
    }

    public let id: MessageID
    public let reason: Reason

    public init(id: MessageID, reason: Reason) {
        self.id = id
        self.reason = reason
    }
}
