import MeshCore

/// Every limit a relay enforces, with generous documented defaults (docs/operators.md). Operators override
/// them in the config file.
public struct RelayLimits: Hashable, Sendable, Codable {
    /// Largest envelope accepted (bytes). The protocol ceiling is 1 MiB.
    public var maximumEnvelopeBytes = RelayFallbackModule.maximumEnvelopeByteCount
    /// Storage lifetime when the sender asks for none; also the longest lifetime granted.
    public var defaultTTLSeconds: UInt32 = 7 * 24 * 3600
    public var maximumTTLSeconds: UInt32 = 7 * 24 * 3600
    /// Per-recipient mailbox quotas.
    public var mailboxMaximumCount = 10_000
    public var mailboxMaximumBytes = 256 * 1_048_576
    /// The global storage cap across all mailboxes (the "disk cap").
    public var storageMaximumBytes = 4 * 1_073_741_824
    public var storageMaximumCount = 1_000_000
    /// Per-sender token buckets: a sustained rate and a burst. 64 KiB/s sustained is 225 MiB per hour, far
    /// above the ≥ 10 MiB per conversation per hour the project promises.
    public var senderEnvelopesPerSecond = 50.0
    public var senderEnvelopeBurst = 2_000.0
    public var senderBytesPerSecond = 65_536.0
    public var senderByteBurst = 32.0 * 1_048_576
    /// Connections: from one source address, and in total.
    public var connectionsPerSource = 64
    public var maximumConnections = 4_096
    /// Login must finish this soon after the WebSocket opens (defeats slowloris).
    public var authenticationTimeoutSeconds = 10.0
    /// Unacknowledged deliveries per connection; more wait in the mailbox until acks arrive.
    public var deliveryWindow = 128
    /// A delivery left unacknowledged this long is written again on the same connection (the wait doubles with
    /// each delivery, up to 16 ×); a reconnect delivers it at once.
    public var ackWaitSeconds = 30.0
    /// The longest ack wait a configuration may ask for (the hub clamps to it too).
    public static let ackWaitMaximumSeconds = 86_400.0
    /// Live (not yet durable) forwarded bytes per connection before further envelopes go to storage.
    public var liveWindowBytes = 8 * 1_048_576
    /// How many delivered envelope IDs are remembered (in memory and in the store, so a restart keeps them)
    /// to suppress late duplicates.
    public var recentlyDeliveredMemory = 65_536
    /// Per-recipient quota for envelopes from senders not on the recipient's contact list (first contacts),
    /// kept apart from the mailbox quota so a flood from fresh identities cannot fill it. Applies only to
    /// recipients that sent a `contacts` list.
    public var firstContactMaximumCount = 256
    public var firstContactMaximumBytes = 4 * 1_048_576
    /// Contact-list entries held across all recipients; beyond it the lists of offline recipients are
    /// forgotten, oldest first (those recipients then get no first-contact split until they log in again).
    public var contactEntriesMaximum = 1_048_576
    /// Output buffered for one connection before the relay stops reading from it.
    public var outputBufferMaximumBytes = 4 * 1_048_576
    /// A connection whose output stays above that bound this long is closed.
    public var stuckClientTimeoutSeconds = 30.0

    public init() {}

    /// A config file names only the limits it changes; every other one keeps its default.
    public init(from decoder: any Decoder) throws {
        let unknown = try decoder.container(keyedBy: AnyCodingKey.self).allKeys.map(\.stringValue)
            .filter { CodingKeys(stringValue: $0) == nil }
        guard unknown.isEmpty else {
            throw DecodingError.dataCorrupted(
                DecodingError.Context(
                    codingPath: decoder.codingPath,
                    debugDescription: "unknown limit(s) \(unknown.sorted().joined(separator: ", "))"
                )
            )
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func value<T: Decodable>(_ key: CodingKeys, _ fallback: T) throws -> T {
            try container.decodeIfPresent(T.self, forKey: key) ?? fallback
        }
        let defaults = RelayLimits()
        maximumEnvelopeBytes = min(
            try value(.maximumEnvelopeBytes, defaults.maximumEnvelopeBytes),
            RelayFallbackModule.maximumEnvelopeByteCount
        )
        defaultTTLSeconds = try value(.defaultTTLSeconds, defaults.defaultTTLSeconds)
        maximumTTLSeconds = try value(.maximumTTLSeconds, defaults.maximumTTLSeconds)
        mailboxMaximumCount = try value(.mailboxMaximumCount, defaults.mailboxMaximumCount)
        mailboxMaximumBytes = try value(.mailboxMaximumBytes, defaults.mailboxMaximumBytes)
        storageMaximumBytes = try value(.storageMaximumBytes, defaults.storageMaximumBytes)
        storageMaximumCount = try value(.storageMaximumCount, defaults.storageMaximumCount)
        senderEnvelopesPerSecond = try value(.senderEnvelopesPerSecond, defaults.senderEnvelopesPerSecond)
        senderEnvelopeBurst = try value(.senderEnvelopeBurst, defaults.senderEnvelopeBurst)
        senderBytesPerSecond = try value(.senderBytesPerSecond, defaults.senderBytesPerSecond)
        senderByteBurst = try value(.senderByteBurst, defaults.senderByteBurst)
        connectionsPerSource = try value(.connectionsPerSource, defaults.connectionsPerSource)
        maximumConnections = try value(.maximumConnections, defaults.maximumConnections)
        authenticationTimeoutSeconds = try value(.authenticationTimeoutSeconds, defaults.authenticationTimeoutSeconds)
        deliveryWindow = max(try value(.deliveryWindow, defaults.deliveryWindow), 1)
        ackWaitSeconds = try value(.ackWaitSeconds, defaults.ackWaitSeconds)
        liveWindowBytes = try value(.liveWindowBytes, defaults.liveWindowBytes)
        recentlyDeliveredMemory = try value(.recentlyDeliveredMemory, defaults.recentlyDeliveredMemory)
        firstContactMaximumCount = try value(.firstContactMaximumCount, defaults.firstContactMaximumCount)
        firstContactMaximumBytes = try value(.firstContactMaximumBytes, defaults.firstContactMaximumBytes)
        contactEntriesMaximum = try value(.contactEntriesMaximum, defaults.contactEntriesMaximum)
        outputBufferMaximumBytes = max(try value(.outputBufferMaximumBytes, defaults.outputBufferMaximumBytes), 1_024)
        stuckClientTimeoutSeconds = try value(.stuckClientTimeoutSeconds, defaults.stuckClientTimeoutSeconds)
    }
}
