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
    /// An envelope for us. Acknowledge it (`acknowledge`) once it is durable; until then every redelivery
    /// (after a reconnect) is reported again.
    case delivered(DeliveredEnvelope)
    case accepted(EnvelopeID, Disposition)
    case refused(RelayRefusal)
    /// The connection ended; the machine will reconnect at `reconnectAt` (nil when stopped).
    case disconnected(reconnectAt: Timestamp?)
    /// The relay answered the ping sent at `sentAt`: the round trip is now minus that.
    case pong(sentAt: Timestamp)
    /// A connection attempt failed, and why; followed by `.disconnected` with the retry time.
    case connectFailed(RelayConnectFailure)
}

/// Why a connection attempt to a relay did not end logged in (design rule 8: a code and a reason).
public struct RelayConnectFailure: Hashable, Sendable, Error, CustomStringConvertible {
    public enum Code: String, Hashable, Sendable, CaseIterable {
        /// No TCP connection: refused, timed out, or the name did not resolve. The relay is down or unreachable.
        case unreachable
        /// TLS could not be set up on this side for a `wss://` relay; nothing was sent (never plaintext instead).
        case tlsUnavailable
        /// The TLS handshake failed: an untrusted or wrong certificate, or a server that does not speak TLS.
        case tlsFailed
        /// The server answered but did not upgrade to the relay's WebSocket.
        case notARelay
        /// The relay refused the login, or proved a key other than the one expected.
        case loginRejected
        /// The connection ended after it opened and before the relay welcomed us, without a refusal.
        case closedDuringLogin
    }

    public let code: Code
    public let reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "\(code.rawValue): \(reason)" }
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
