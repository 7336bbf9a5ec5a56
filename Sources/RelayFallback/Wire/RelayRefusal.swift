import MeshCore

/// A typed refusal: every limit the relay enforces and every protocol error has its own code, so the client
/// knows what happened and whether retrying can help. Codes are part of the wire protocol (docs/relay.md).
public struct RelayRefusal: Hashable, Sendable, Error, CustomStringConvertible {
    public enum Code: UInt16, Sendable, CaseIterable {
        /// The frame could not be decoded; the connection is closed.
        case malformedFrame = 1
        /// A well-formed message arrived in the wrong phase (e.g. a second login); the connection is closed.
        case unexpectedMessage = 2
        /// Anything but a login before login succeeded; the connection is closed, nothing is stored.
        case notAuthenticated = 3
        /// The login signature does not verify for this relay and this connection's nonce; closed.
        case badSignature = 4
        /// An envelope exceeds the relay's envelope size limit; nothing is stored.
        case envelopeTooLarge = 5
        /// The sender exceeded its envelope or byte rate; retry later.
        case rateLimited = 6
        /// The recipient's mailbox is full (count or bytes); retry later or use another relay.
        case recipientQuotaExceeded = 7
        /// The relay's global storage cap is reached.
        case storageFull = 8
        /// Too many connections from this source address, or in total; the connection is closed.
        case tooManyConnections = 9
        /// Login did not complete in time (slowloris); the connection is closed.
        case authenticationTimeout = 10
        /// The same identity logged in on a newer connection; this one is closed.
        case sessionReplaced = 11
        /// The relay is shutting down; reconnect elsewhere or later.
        case shuttingDown = 12
        /// The client exceeded its outstanding-frame limits (e.g. too many acks at once); closed.
        case protocolLimit = 13
        /// The recipient's first-contact quota (envelopes from senders it has not listed as contacts) is
        /// full; its mailbox for contacts is unaffected. Retry later.
        case firstContactQuotaExceeded = 14
    }

    public let code: Code
    /// The envelope the refusal is about, when there is one.
    public let envelopeID: EnvelopeID?
    public let reason: String

    public static let maximumReasonBytes = 512

    public init(_ code: Code, envelopeID: EnvelopeID? = nil, _ reason: String) {
        self.code = code
        self.envelopeID = envelopeID
        // Reasons are ours; truncate at a character boundary to the wire limit.
        var text = reason
        while text.utf8.count > RelayRefusal.maximumReasonBytes { text.removeLast() }
        self.reason = text
    }

    /// Refusals after which the relay closes the connection.
    public var closesConnection: Bool {
        switch code {
        case .malformedFrame, .unexpectedMessage, .notAuthenticated, .badSignature, .tooManyConnections,
            .authenticationTimeout, .sessionReplaced, .shuttingDown, .protocolLimit:
            true
        case .envelopeTooLarge, .rateLimited, .recipientQuotaExceeded, .storageFull, .firstContactQuotaExceeded:
            false
        }
    }

    public var description: String { "relay refused (\(code), \(code.rawValue)): \(reason)" }
}
