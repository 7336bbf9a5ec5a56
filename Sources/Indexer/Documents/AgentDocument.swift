import Foundation
import Kademlia
import MeshCore
import MeshPeer

/// What the mirror stores and searches for one agent, read from a record the Kademlia core already validated
/// (signature under the DID, expiry, key). The card's own A2A signature must verify under the DID, and it is parsed
/// strictly by MeshPeer's `CardFile`; an agent that
/// asked to be left out (`unlisted`, or a level this build does not know) is refused here, so it never reaches
/// the mirror (decision 0082).
public struct AgentDocument: Sendable, Equatable {
    public var did: String
    public var sequence: UInt64
    public var issuedAt: Timestamp
    public var expiresAt: Timestamp
    public var name: String
    public var description: String
    /// Skill names and descriptions, one per line (searched, not shown).
    public var skills: String
    public var examples: String
    /// Lowercased skill tags and capability names (skill ids and tags, as the node announces them).
    public var tags: [String]
    /// The compact card JSON exactly as signed.
    public var card: [UInt8]
    /// The signed record envelope bytes: a client verifies these itself.
    public var record: [UInt8]

    /// Reads `record`, or says why it does not belong in the mirror.
    public static func make(
        from record: ValidatedRecord,
        limits: MirrorLimits = MirrorLimits()
    ) throws(DocumentRejection)
        -> AgentDocument
    {
        guard record.type == .agent else { throw .notAgent }
        let agent: AgentRecord
        do {
            agent = try AgentRecord(wireBytes: record.envelope.bytes)
        } catch {
            throw .malformed("\(error)")
        }
        guard agent.key == record.key else { throw .malformed("record for \(agent.did) under another key") }
        switch Exposure.declared(by: agent) {
        case .listed: break
        case .unlisted: throw .unlisted
        case .private: throw .private
        }
        // The card must carry its own A2A signature by the record's DID (decision 0080), as discovery requires.
        // The signature check parses the card strictly; that value is read as the card, never the bytes again.
        let json: JSONValue
        do {
            // The record's validator decoded the DID's key already (`signer`). Encoding it back is cheap, where
            // decoding validates the curve point; a signer that is not this DID's (a record built by hand) is not used.
            let signer = record.signer.flatMap { $0.did == agent.did ? $0 : nil }
            json = try AgentCardSignature.verify(cardBytes: agent.agentCard, did: agent.did, key: signer)
        } catch {
            throw .badCardSignature(error.description)
        }
        let card: AgentCard
        do {
            card = try CardFile.card(from: json)
        } catch {
            throw .badCard(error.description)
        }
        let skills = card.skills.filter { $0.id != AgentCard.contactSkillID }
        var tags: [String] = []
        var seen: Set<String> = []
        for raw in card.capabilityNames + skills.flatMap(\.tags) {
            let tag = raw.trimmedOfWhiteSpace().lowercased()
            guard !tag.isEmpty, tag.count <= limits.maximumTagLength, seen.insert(tag).inserted else { continue }
            tags.append(tag)
            if tags.count == limits.maximumTagsPerAgent { break }
        }
        return AgentDocument(
            did: agent.did,
            sequence: agent.sequence,
            issuedAt: agent.issuedAt,
            expiresAt: agent.expiresAt,
            name: card.name,
            description: card.description,
            skills: skills.map { "\($0.name)\n\($0.description)" }.joined(separator: "\n"),
            examples: skills.flatMap { $0.examples ?? [] }.joined(separator: "\n"),
            tags: tags,
            card: agent.agentCard,
            record: record.envelope.bytes
        )
    }
}

/// Why a verified record is not mirrored.
public enum DocumentRejection: Error, Sendable, Equatable, CustomStringConvertible {
    case notAgent
    case malformed(String)
    case unlisted
    case `private`
    case badCard(String)
    case badCardSignature(String)

    public var code: String {
        switch self {
        case .notAgent: "not-agent"
        case .malformed: "malformed"
        case .unlisted: "unlisted"
        case .private: "private"
        case .badCard: "bad-card"
        case .badCardSignature: "bad-card-signature"
        }
    }

    public var description: String {
        switch self {
        case .malformed(let reason), .badCard(let reason), .badCardSignature(let reason): "\(code): \(reason)"
        default: code
        }
    }
}
