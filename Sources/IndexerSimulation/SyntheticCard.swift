import Kademlia
import MeshCore
import MeshPeer

/// Deterministic, varied A2A cards for simulated agents and the benchmark: agent `index` gets a name, a description
/// and two skills drawn from a small vocabulary, so words and tags repeat across agents as in a real population.
public enum SyntheticCard {
    static let topics = [
        "translation", "weather", "summarise", "invoice", "calendar", "search", "images", "audio", "code", "review",
        "legal", "medical", "finance", "travel", "recipes", "chess", "maths", "physics", "poetry", "news",
    ]
    static let verbs = [
        "translate", "forecast", "draft", "check", "plan", "find", "render", "transcribe", "fix", "rate",
    ]

    public static func card(index: Int, did: String) -> AgentCard {
        let first = topics[index % topics.count]
        let second = topics[(index / topics.count + 3) % topics.count]
        let verb = verbs[index % verbs.count]
        var card = AgentCard.defaultCard(name: "agent \(index) \(first)", did: did)
        card.description = "Agent number \(index): it can \(verb) \(first) and help with \(second)."
        card.skills = [
            AgentSkill(
                id: "\(first)-\(verb)",
                name: "\(verb) \(first)",
                description: "\(verb.capitalized) anything about \(first).",
                tags: [first, verb],
                examples: ["please \(verb) this \(first) request"]
            ),
            AgentSkill(id: second, name: second, description: "Everything \(second).", tags: [second]),
        ]
        return card
    }

    /// The compact JSON that goes into the agent record, signed the A2A way by the agent's key (decision 0080).
    public static func bytes(index: Int, key: Ed25519.PrivateKey) -> [UInt8] {
        guard let identity = try? AgentIdentity(signingKey: key) else { return [] }
        return (try? AgentProfile.signedCompactCard(card(index: index, did: identity.did), identity: identity)) ?? []
    }
}
