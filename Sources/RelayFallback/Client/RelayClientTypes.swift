import MeshCore

/// What the client machine asks its adapter to do.
public enum RelayClientAction: Hashable, Sendable {
    /// Open a WebSocket to the relay; report `connectionOpened` or `connectionClosed`.
    case connect
    /// Write one binary WebSocket message.
    case transmit([UInt8])
    /// Close the WebSocket; report `connectionClosed` when it is gone.
    case disconnect
}

/// What the client machine tells its owner.
public enum RelayClientEvent: Hashable, Sendable {
    /// Logged in; earlier unacknowledged sends have been resent.
    case ready(RelayWelcome)
    /// An envelope for us, delivered once (resends after a reconnect are suppressed here).
    case delivered(DeliveredEnvelope)
    case accepted(EnvelopeID, Disposition)
    case refused(RelayRefusal)
    /// The connection ended; the machine will reconnect at `reconnectAt` (nil when stopped).
    case disconnected(reconnectAt: Timestamp?)
    /// The relay answered the ping sent at `sentAt`: the round trip is now minus that.
    case pong(sentAt: Timestamp)
}

/// The client's connection phase.
public enum RelayClientState: Hashable, Sendable {
    case stopped
    case waitingToReconnect(Timestamp)
    case connecting
    case awaitingChallenge
    case awaitingWelcome
    case ready
}
