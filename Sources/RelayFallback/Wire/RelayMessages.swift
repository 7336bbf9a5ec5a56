import MeshCore

/// Relay → client: sign this to log in.
public struct RelayChallenge: Hashable, Sendable {
    public static let nonceByteCount = 32
    /// The relay's identity key: the client binds its signature to it, so a login cannot be relayed elsewhere.
    public let relayKey: Ed25519.PublicKey
    /// Fresh per connection, so a captured login never verifies on another connection.
    public let nonce: [UInt8]

    public init(relayKey: Ed25519.PublicKey, nonce: [UInt8]) {
        precondition(nonce.count == RelayChallenge.nonceByteCount, "a challenge nonce is 32 bytes")
        self.relayKey = relayKey
        self.nonce = nonce
    }
}

/// Client → relay: the client's key and its signature over `RelayAuth.signedBytes`.
public struct RelayAuthentication: Hashable, Sendable {
    public let clientKey: Ed25519.PublicKey
    public let signature: Ed25519.Signature

    public init(clientKey: Ed25519.PublicKey, signature: Ed25519.Signature) {
        self.clientKey = clientKey
        self.signature = signature
    }
}

/// Relay → client after a good login.
public struct RelayWelcome: Hashable, Sendable {
    public let clientID: NodeID
    public let maximumEnvelopeBytes: UInt32
    /// Envelopes waiting for this client when it logged in; they follow as `deliver` frames in arrival order.
    public let pendingCount: UInt32

    public init(clientID: NodeID, maximumEnvelopeBytes: UInt32, pendingCount: UInt32) {
        self.clientID = clientID
        self.maximumEnvelopeBytes = maximumEnvelopeBytes
        self.pendingCount = pendingCount
    }
}

/// Client → relay: opaque ciphertext for `recipient`.
public struct OutboundEnvelope: Hashable, Sendable {
    public let id: EnvelopeID
    public let recipient: NodeID
    /// How long the relay may keep it; `0` asks for the relay's default. The relay clamps it to its maximum.
    public let ttlSeconds: UInt32
    public let payload: [UInt8]

    public init(id: EnvelopeID, recipient: NodeID, ttlSeconds: UInt32 = 0, payload: [UInt8]) {
        self.id = id
        self.recipient = recipient
        self.ttlSeconds = ttlSeconds
        self.payload = payload
    }
}

/// Relay → client: an envelope addressed to this client.
public struct DeliveredEnvelope: Hashable, Sendable {
    public let id: EnvelopeID
    /// The authenticated node ID of the sender (the relay saw its login).
    public let sender: NodeID
    /// The relay's arrival order; strictly increasing per relay.
    public let sequence: UInt64
    public let payload: [UInt8]

    public init(id: EnvelopeID, sender: NodeID, sequence: UInt64, payload: [UInt8]) {
        self.id = id
        self.sender = sender
        self.sequence = sequence
        self.payload = payload
    }
}

/// What the relay did with an envelope it accepted.
public enum Disposition: UInt8, Sendable, CaseIterable {
    /// Handed to the recipient's live connection.
    case forwarded = 1
    /// Written to durable storage for an offline or busy recipient.
    case stored = 2
    /// Already held or recently delivered: nothing new was stored.
    case duplicate = 3
}

/// One answer inside an `acceptedBatch` frame: the same content as one `accepted` frame.
public struct AcceptedEntry: Hashable, Sendable {
    public let id: EnvelopeID
    public let disposition: Disposition
    public init(_ id: EnvelopeID, _ disposition: Disposition) {
        self.id = id
        self.disposition = disposition
    }
}

/// One relay protocol message; the WebSocket carries one per binary message, inside a MeshCore `Frame`.
public enum RelayMessage: Hashable, Sendable {
    case challenge(RelayChallenge)
    case authenticate(RelayAuthentication)
    case welcome(RelayWelcome)
    case send(OutboundEnvelope)
    case accepted(EnvelopeID, Disposition)
    case refused(RelayRefusal)
    case deliver(DeliveredEnvelope)
    case ack([EnvelopeID])
    case ping(UInt64)
    case pong(UInt64)
    case acceptedBatch([AcceptedEntry])
    /// The client's contacts, sorted and without repeats (the encoder writes them as given).
    case contacts([NodeID])

    /// At most this many answers in one `acceptedBatch` frame.
    public static let maximumAcceptedBatch = 256
    /// At most this many IDs in one ack frame.
    public static let maximumAckCount = 256
    /// At most this many node IDs in one `contacts` frame (128 KiB, far under the frame ceiling).
    public static let maximumContactCount = 4_096

    public var frameType: RelayFrameType {
        switch self {
        case .challenge: .challenge
        case .authenticate: .authenticate
        case .welcome: .welcome
        case .send: .send
        case .accepted: .accepted
        case .refused: .refused
        case .deliver: .deliver
        case .ack: .ack
        case .ping: .ping
        case .pong: .pong
        case .acceptedBatch: .acceptedBatch
        case .contacts: .contacts
        }
    }
}
