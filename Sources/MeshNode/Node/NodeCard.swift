import Foundation
import Kademlia
import MeshCore
import MeshPeer
import Ratchet

/// The owner's A2A card (`card.json`, edited by hand and reloaded when it changes) and what the node derives from
/// it: the record it publishes and the capabilities it announces.
struct NodeCard: Sendable {
    var card: AgentCard
    let path: String
    let stamp: FileStamp?
    let did: String

    static let prekeySchedule = AgentProfile.recordPrekeySchedule

    /// Reads `path`; a missing file means a default card named `defaultName` with no skills.
    static func load(path: String, defaultName: String, did: String) throws -> NodeCard {
        guard let data = try OwnerFile.read(path, maximumBytes: CardFile.maximumBytes) else {
            return NodeCard(card: AgentCard.defaultCard(name: defaultName, did: did), path: path, stamp: nil, did: did)
        }
        do {
            let card = try CardFile.parse(try withInterface(data, did: did))
            return NodeCard(card: card, path: path, stamp: FileStamp.of(path), did: did)
        } catch {
            throw ConfigurationError("\(path): \(error)")
        }
    }

    /// The owner writes what the agent does; how to reach it is the node's to say: a card without
    /// `supportedInterfaces` gets the MeshPeer interface at the agent's DID.
    static func withInterface(_ data: Data, did: String) throws -> [UInt8] {
        guard case .object(var card) = try JSONDecoder().decode(JSONValue.self, from: data) else {
            return [UInt8](data)
        }
        if (card["supportedInterfaces"]?.arrayValue ?? []).isEmpty {
            card["supportedInterfaces"] = .array([
                .object([
                    "url": .string(did), "protocolBinding": .string(AgentCard.meshPeerBinding),
                    "protocolVersion": .string("1.0"),
                ])
            ])
        }
        return Array(try JSONEncoder().encode(JSONValue.object(card)))
    }

    /// The card again when its file changed since it was read; nil when it did not. A file that no longer parses
    /// throws (the caller keeps the card in force and says why).
    static func reloadIfChanged(_ current: NodeCard) throws -> NodeCard? {
        let stamp = FileStamp.of(current.path)
        guard stamp != current.stamp, stamp != nil else { return nil }
        return try load(path: current.path, defaultName: current.card.name, did: current.did)
    }

    var name: String { card.name }
    var capabilities: [String] { card.capabilityNames }

    /// The signed record: the compact card, knock token and difficulty, homes and the signed-prekey bundle.
    func record(
        identity: AgentIdentity,
        prekeys: PrekeySecrets,
        token: KnockToken,
        difficulty: UInt8,
        homes: [String],
        hints: [AddressHint] = [],
        sequence: UInt64,
        issuedAt: Timestamp,
        ttl: Duration
    ) throws -> (record: AgentRecord, profile: AgentProfile) {
        let profile = AgentProfile(
            card: card,
            knockToken: token.bytes,
            knockDifficulty: difficulty,
            homeRelays: Array(homes.prefix(AgentRecord.maximumRelays)),
            prekeyBundle: AgentProfile.recordBundle(from: prekeys, identity: identity),
            addressHints: hints.prefix(AgentRecord.maximumHints).map(\.bytes)
        )
        return (try profile.record(signedBy: identity, sequence: sequence, issuedAt: issuedAt, ttl: ttl), profile)
    }

    /// A record found in the DHT (its signature already checked by the DHT's validator), read as a profile: the
    /// card's own A2A signature must verify under the record's DID (`AgentCardSignature.verify`; a record without
    /// one is refused, decision 0080), the card must parse and the prekey bundle must be signed by the record's DID.
    /// The card comes back as the strict reader saw it, exactly the JSON that was verified.
    static func verify(_ record: AgentRecord) throws -> (card: JSONValue, profile: AgentProfile) {
        let profile = try AgentProfile.read(from: record)
        let json = try AgentCardSignature.verify(cardBytes: record.agentCard, did: record.did)
        return (json, profile)
    }

    /// The card as `run` publishes it in the record: compacted to the record's budget and signed by `identity`.
    func publishedCard(identity: AgentIdentity) throws -> JSONValue {
        let bytes = try AgentProfile.signedCompactCard(card, identity: identity)
        return try StrictJSON.parse(bytes, maximumBytes: AgentRecord.maximumCardBytes)
    }

    /// What a knock on the record's agent needs.
    static func knockTarget(from record: AgentRecord) throws -> KnockTarget {
        let profile = try AgentProfile.read(from: record)
        return KnockTarget(
            did: record.did,
            key: profile.prekeyBundle.identityKey,
            bundle: profile.prekeyBundle,
            token: try KnockToken(bytes: profile.knockToken),
            difficulty: profile.knockDifficulty,
            relays: profile.homeRelays
        )
    }
}
