import Foundation
import MeshCore

/// What a card announces in the DHT, and the card of a node that has no card file.
extension AgentCard {
    /// At most this many capability names are announced (one provider record each).
    public static let maximumCapabilities = 16
    /// Longer names are not announced.
    public static let maximumCapabilityBytes = 64
    /// The default card's one skill (A2A requires at least one). It is not a capability: every node has it.
    public static let contactSkillID = "meshpeer-contact"
    /// The binding of the interface a default card names: the agent is reached through MeshPeer at its DID.
    public static let meshPeerBinding = "MESHPEER"

    /// The capability names the node provides in the DHT: skill ids and tags, lowercased and trimmed, in card
    /// order, deduplicated, at most `maximumCapabilities`, each at most `maximumCapabilityBytes`.
    public var capabilityNames: [String] {
        var names: [String] = []
        var seen: Set<String> = []
        for skill in skills where skill.id != AgentCard.contactSkillID {
            for raw in [skill.id] + skill.tags {
                let name = raw.trimmedOfWhiteSpace().lowercased()
                guard !name.isEmpty, name.utf8.count <= AgentCard.maximumCapabilityBytes, seen.insert(name).inserted
                else { continue }
                names.append(name)
                if names.count == AgentCard.maximumCapabilities { return names }
            }
        }
        return names
    }

    /// The card of a node with no card file: its name, a MeshPeer interface at its DID, and only the contact
    /// skill, so it is a valid A2A card that announces no capability.
    public static func defaultCard(name: String, did: String) -> AgentCard {
        AgentCard(
            name: name,
            description: "A MeshPeer agent. Knock to start a conversation.",
            supportedInterfaces: [AgentInterface(url: did, protocolBinding: meshPeerBinding, protocolVersion: "1.0")],
            version: MeshPeerVersion.string,
            defaultInputModes: ["application/json"],
            defaultOutputModes: ["application/json"],
            skills: [
                AgentSkill(
                    id: contactSkillID,
                    name: "Contact",
                    description: "Accepts knocks and end-to-end encrypted messages from other agents.",
                    tags: [contactSkillID]
                )
            ]
        )
    }
}
