import MeshCore

/// A relay's signed advert for the DHT: where it listens, how much it offers, and its policy.
///
/// Signed under `.relayAdvert`; clients check the signature, the lifetime and the addresses before they
/// consider a relay as a home. In the DHT it travels as the hints of an ordinary provider record under
/// `RelayAdvert.providerKey` (docs/decisions/0046-relay-advert-as-provider-hints.md).
public struct RelayAdvert: Hashable, Sendable {
    public static let maximumAddresses = 8
    public static let maximumAddressBytes = 255
    /// Adverts live at most a day, so the network reflects which relays are up now.
    public static let maximumLifetimeSeconds: Int64 = 24 * 3600
    public static let maximumEncodedBytes = 4_096
    /// An advert published in the DHT rides in a provider record's hints, which Kademlia bounds to 256 bytes
    /// (`ProviderRecord.maximumHintBytes`): room for one or two addresses besides the fixed 145 bytes.
    public static let maximumDHTBytes = 256
    /// The capability name relays provide: clients find relays with an ordinary GET_PROVIDERS for it.
    public static let capability = "meshpeer/relay"
    /// Where relays announce themselves. The same derivation as Kademlia's `ProviderRecord.key(forCapability:)`
    /// (a test pins the two together); RelayFallback does not depend on Kademlia.
    public static let providerKey = NodeID.hashing(Array(capability.utf8), label: "meshpeer/v1/capability")

    public var relayKey: Ed25519.PublicKey
    /// WebSocket URLs (`ws://host:port/` or `wss://…`).
    public var addresses: [String]
    public var maximumConnections: UInt32
    public var storageBytes: UInt64
    public var maximumEnvelopeBytes: UInt32
    public var ttlSeconds: UInt32
    public var mailboxMaximumCount: UInt32
    public var mailboxMaximumBytes: UInt64
    public var issuedAt: Int64
    public var expiresAt: Int64
    public internal(set) var signature: Ed25519.Signature?

    public init(
        relayKey: Ed25519.PublicKey,
        addresses: [String],
        limits: RelayLimits,
        issuedAt: Int64,
        lifetimeSeconds: Int64
    ) {
        self.relayKey = relayKey
        self.addresses = addresses
        maximumConnections = UInt32(clamping: limits.maximumConnections)
        storageBytes = UInt64(clamping: limits.storageMaximumBytes)
        maximumEnvelopeBytes = UInt32(clamping: limits.maximumEnvelopeBytes)
        ttlSeconds = limits.maximumTTLSeconds
        mailboxMaximumCount = UInt32(clamping: limits.mailboxMaximumCount)
        mailboxMaximumBytes = UInt64(clamping: limits.mailboxMaximumBytes)
        self.issuedAt = issuedAt
        self.expiresAt = issuedAt + lifetimeSeconds
    }

    /// The bytes the signature covers: every field but the signature.
    public var signedBytes: [UInt8] {
        var writer = WireWriter(capacity: 256)
        writer.write(raw: relayKey.rawRepresentation)
        writer.writeCount(addresses.count, .uint8)
        for address in addresses { writer.writeString(address, .uint8) }
        writer.write(maximumConnections)
        writer.write(storageBytes)
        writer.write(maximumEnvelopeBytes)
        writer.write(ttlSeconds)
        writer.write(mailboxMaximumCount)
        writer.write(mailboxMaximumBytes)
        writer.write(issuedAt)
        writer.write(expiresAt)
        return writer.bytes
    }

    public mutating func sign(with identity: AgentIdentity) {
        precondition(identity.publicKey == relayKey, "an advert is signed by its own relay")
        signature = identity.sign(signedBytes, domain: .relayAdvert)
    }

    /// Signed bytes followed by the 64-byte signature.
    public func encoded() -> [UInt8] {
        precondition(signature != nil, "sign the advert before encoding it")
        return signedBytes + (signature?.rawRepresentation ?? [])
    }
}
