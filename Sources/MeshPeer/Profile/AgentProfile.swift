import Kademlia
import MeshCore
import Ratchet

/// What the node publishes about itself: its card, knock parameters, home relays and prekey bundle. `record`
/// turns it into a signed agent record (compacting the card to the record's budget); `read` turns a verified
/// record back into a profile whose card is the compact one.
public struct AgentProfile: Hashable, Sendable {
    /// The knock token is 8 bytes (docs/knock.md).
    public static let knockTokenBytes = 8
    /// Where MeshPeer's own data sits in a served card's `capabilities.extensions`.
    public static let didExtensionURI = "urn:meshpeer:did:v1"
    public static let knockExtensionURI = "urn:meshpeer:knock:v1"
    public static let relaysExtensionURI = "urn:meshpeer:relays:v1"

    public var card: AgentCard
    /// The recipient's current knock token (8 bytes); rotating it stops a flood without a new identity.
    public var knockToken: [UInt8]
    /// The proof-of-work difficulty a knock must meet.
    public var knockDifficulty: UInt8
    public var homeRelays: [String]
    /// The signed prekey only: records carry no one-time prekeys (decision 0071).
    public var prekeyBundle: PrekeyBundle
    public var addressHints: [[UInt8]]
    /// Who may find the agent; carried as `RecordExtension.exposure` (absent means listed).
    public var exposure: Exposure
    /// The owner's certificate and newest revocation, as `RecordExtension.ownerCredentials` (decision 0093).
    public var ownerCredentials: OwnerCredentials?

    public init(
        card: AgentCard,
        knockToken: [UInt8],
        knockDifficulty: UInt8,
        homeRelays: [String],
        prekeyBundle: PrekeyBundle,
        addressHints: [[UInt8]] = [],
        exposure: Exposure = .listed,
        ownerCredentials: OwnerCredentials? = nil
    ) {
        self.card = card
        self.knockToken = knockToken
        self.knockDifficulty = knockDifficulty
        self.homeRelays = homeRelays
        self.prekeyBundle = prekeyBundle
        self.addressHints = addressHints
        self.exposure = exposure
        self.ownerCredentials = ownerCredentials
    }

    /// The capability names to announce in the DHT (the card's skill ids and tags).
    public var capabilities: [String] { card.capabilityNames }

    /// A record's fields, checked against its limits: what `KademliaNode.publishAgentRecord` takes.
    public struct RecordContents: Hashable, Sendable {
        public var agentCard: [UInt8]
        public var homeRelays: [String]
        public var addressHints: [[UInt8]]
        public var prekeyBundle: [UInt8]
        public var extensions: [RecordExtension]
    }

    /// The record's fields: the compact card signed by `identity` (A2A §8.4, decision 0080), the knock policy
    /// extension, the relays, hints and bundle. Throws `ProfileError` naming the field that is too big or malformed.
    public func recordContents(signedBy identity: AgentIdentity) throws(ProfileError) -> RecordContents {
        var contents = try recordContents(for: identity.did)
        contents.agentCard = try AgentProfile.signedCompactCard(card, identity: identity)
        return contents
    }

    /// The record's fields with the compact card unsigned: `AgentProfile.read` refuses a record built from these,
    /// so a record to publish takes `recordContents(signedBy:)`. Throws `ProfileError` naming the field that is too
    /// big or malformed.
    public func recordContents(for did: String) throws(ProfileError) -> RecordContents {
        guard knockToken.count == AgentProfile.knockTokenBytes else {
            throw ProfileError(.invalidValue, field: "knockToken", "\(knockToken.count) bytes; a knock token is 8")
        }
        guard prekeyBundle.oneTimePrekeys.isEmpty else {
            throw ProfileError(
                .invalidValue,
                field: "prekeyBundle",
                "\(prekeyBundle.oneTimePrekeys.count) one-time prekeys; a record carries the signed prekey only "
                    + "(decision 0071: use AgentProfile.recordBundle)"
            )
        }
        guard prekeyBundle.identityKey.did == did else {
            throw ProfileError(
                .badSignature,
                field: "prekeyBundle",
                "the bundle belongs to \(prekeyBundle.identityKey.did)"
            )
        }
        try AgentProfile.check(homeRelays.count, AgentRecord.maximumRelays, "homeRelays", unit: "relays")
        for (index, relay) in homeRelays.enumerated() {
            try AgentProfile.check(relay.utf8.count, AgentRecord.maximumRelayBytes, "homeRelays[\(index)]")
        }
        try AgentProfile.check(addressHints.count, AgentRecord.maximumHints, "addressHints", unit: "hints")
        for (index, hint) in addressHints.enumerated() {
            try AgentProfile.check(hint.count, AgentRecord.maximumHintBytes, "addressHints[\(index)]")
        }
        let bundle = prekeyBundle.wireBytes
        try AgentProfile.check(bundle.count, AgentRecord.maximumPrekeyBundleBytes, "prekeyBundle")
        let card: [UInt8]
        do {
            card = try self.card.compact(budget: AgentRecord.maximumCardBytes)
        } catch {
            throw ProfileError(.tooLarge, field: "card", error.reason)
        }
        return RecordContents(
            agentCard: card,
            homeRelays: homeRelays,
            addressHints: addressHints,
            prekeyBundle: bundle,
            extensions: [RecordExtension(type: RecordExtension.knockPolicy, value: knockToken + [knockDifficulty])]
                + [exposure.recordExtension].compactMap { $0 }
                + [ownerCredentials.map(\.recordExtension)].compactMap { $0 }
        )
    }

    /// Builds, checks and signs the record (what a node's DHT core does itself in `publishAgentRecord`).
    public func record(
        signedBy identity: AgentIdentity,
        sequence: UInt64,
        issuedAt: Timestamp,
        ttl: Duration
    ) throws -> AgentRecord {
        let contents = try recordContents(signedBy: identity)
        return try AgentRecord.signed(
            by: identity,
            sequence: sequence,
            issuedAt: issuedAt,
            ttl: ttl,
            agentCard: contents.agentCard,
            homeRelays: contents.homeRelays,
            addressHints: contents.addressHints,
            prekeyBundle: contents.prekeyBundle,
            extensions: contents.extensions
        )
    }

    static func check(_ count: Int, _ limit: Int, _ field: String, unit: String = "bytes") throws(ProfileError) {
        guard count <= limit else { throw ProfileError(.tooLarge, field: field, "\(count) \(unit); at most \(limit)") }
    }
}
