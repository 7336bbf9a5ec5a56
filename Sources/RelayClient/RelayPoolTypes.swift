import MeshCore
import RelayFallback

/// One relay connection of the pool, for the node's status endpoint.
public struct RelayConnectionStatus: Hashable, Sendable {
    public enum State: String, Hashable, Sendable {
        /// Logged in.
        case ready
        /// Connecting or logging in (the first attempt, or again after a drop).
        case connecting
        /// The last attempt failed (`lastFailure` says why); retried with backoff, or passed over as unhealthy.
        case down
        /// A home candidate with no connection now (not among the homes).
        case idle
    }

    public let address: RelayAddress
    public let isHome: Bool
    public let state: State
    /// The smoothed round trip measured by ping, when known.
    public let roundTrip: Duration?
    /// Why the last connection attempt failed, until the next login.
    public let lastFailure: RelayConnectFailure?
    /// Failed connection attempts to this address by cause, since the pool started.
    public let failureCounts: [RelayConnectFailure.Code: Int]
}

/// What became of a `RelayPool.send`.
public enum RelaySendResult: Hashable, Sendable {
    /// The relay at this address answered: forwarded to the recipient's live connection, stored, or already held.
    case accepted(RelayAddress, Disposition)
    /// Queued on this relay's connection, with no answer within the pool's answer timeout (the connection
    /// dropped or is slow); the client resends it after a reconnect. The node's outbox still holds the message.
    case queued(RelayAddress)
    /// No hop took it; one attempt per hop, in order, each with its reason.
    case failed([RelaySendAttempt])
}

/// One hop's failed attempt at a send (design rule 8: a multi-attempt failure says what each attempt did).
public struct RelaySendAttempt: Hashable, Sendable, CustomStringConvertible {
    public let address: RelayAddress
    /// The relay's refusal, when it answered with one.
    public let refusal: RelayRefusal?
    /// The connection failure, when the pool could not log in there.
    public let failure: RelayConnectFailure?
    public let reason: String

    init(_ address: RelayAddress, refusal: RelayRefusal? = nil, failure: RelayConnectFailure? = nil, _ reason: String) {
        self.address = address
        self.refusal = refusal
        self.failure = failure
        self.reason = reason
    }

    public var description: String { "\(address): \(reason)" }
}

/// An event of one of the pool's connections, tagged with the relay's address.
public struct RelayPoolEvent: Hashable, Sendable {
    public let relay: RelayAddress
    public let event: RelayClientEvent
}
