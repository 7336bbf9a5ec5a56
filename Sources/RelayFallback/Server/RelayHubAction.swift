import MeshCore

/// One connection to the relay, named by the adapter (design rule 5: commands carry IDs, outputs name them).
public struct ConnectionID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let value: UInt64
    public init(_ value: UInt64) { self.value = value }
    public static func < (lhs: ConnectionID, rhs: ConnectionID) -> Bool { lhs.value < rhs.value }
    public var description: String { "conn#\(value)" }
}

/// What the relay hub asks its adapter to do. The adapter performs them in order: a `persist` comes before
/// the `accepted(.stored)` it makes true, so a sender is told "stored" only once the envelope is durable.
public enum RelayHubAction: Hashable, Sendable {
    /// Write one relay message to a connection.
    case send(ConnectionID, RelayMessage)
    /// Close a connection after what was sent to it so far.
    case close(ConnectionID)
    /// Write these envelopes to durable storage (one transaction).
    case persist([StoredEnvelope])
    /// Delete these envelopes from durable storage (acknowledged or expired).
    case delete([EnvelopeID])
    /// Remember these delivered IDs durably (bounded by `recentlyDeliveredMemory`), so a resend after a
    /// restart is still a duplicate.
    case remember([DeliveredRecord])
    /// Read these stored envelopes' payloads and send them to the connection as `deliver` frames, in order.
    case deliverStored(ConnectionID, [StoredEnvelopeMeta])
}
