/// The compact card a record carries: the same A2A card with less detail, within a byte budget. The full card is
/// served on request (`capability.query`). Deterministic: the same card and budget give the same bytes.
extension AgentCard {
    /// Description lengths (in characters) tried in turn once examples are gone.
    static let compactDescriptionSteps = [240, 160, 96, 48, 24]

    /// Always left out: presentation and security detail, the extensions (the record's own fields carry
    /// MeshPeer's data), and every interface but the preferred (first) one.
    public var summary: AgentCard {
        AgentCard(
            name: name,
            description: description,
            supportedInterfaces: Array(supportedInterfaces.prefix(1)),
            version: version,
            capabilities: AgentCapabilities(
                streaming: capabilities.streaming,
                pushNotifications: capabilities.pushNotifications,
                extendedAgentCard: capabilities.extendedAgentCard
            ),
            defaultInputModes: defaultInputModes,
            defaultOutputModes: defaultOutputModes,
            skills: skills.map { skill in
                AgentSkill(
                    id: skill.id,
                    name: skill.name,
                    description: skill.description,
                    tags: skill.tags,
                    examples: skill.examples,
                    inputModes: skill.inputModes,
                    outputModes: skill.outputModes
                )
            }
        )
    }

    /// The compact card's JSON, at most `budget` bytes. Starting from `summary`, it drops examples and skill
    /// modes (last skill first), then shortens every description, then drops skills from the end; a card that
    /// does not fit with one skill and the shortest descriptions is a `cannotFit` error saying why.
    public func compact(budget: Int) throws(ProfileError) -> [UInt8] {
        var card = summary
        var bytes = card.jsonBytes()
        if bytes.count <= budget { return bytes }
        for index in card.skills.indices.reversed() {
            card.skills[index].examples = nil
            card.skills[index].inputModes = nil
            card.skills[index].outputModes = nil
            bytes = card.jsonBytes()
            if bytes.count <= budget { return bytes }
        }
        let full = card
        for limit in AgentCard.compactDescriptionSteps {
            card.description = AgentCard.shortened(full.description, to: limit)
            for index in card.skills.indices {
                card.skills[index].description = AgentCard.shortened(full.skills[index].description, to: limit)
            }
            bytes = card.jsonBytes()
            if bytes.count <= budget { return bytes }
        }
        while card.skills.count > 1 {
            card.skills.removeLast()
            bytes = card.jsonBytes()
            if bytes.count <= budget { return bytes }
        }
        throw ProfileError(
            .cannotFit,
            field: "",
            "the smallest compact card (one skill, \(AgentCard.compactDescriptionSteps.last ?? 0)-character "
                + "descriptions) is \(bytes.count) bytes; the record holds \(budget). Shorten the name, version, "
                + "first interface, modes or the first skill's name and tags"
        )
    }

    /// At most `limit` characters, ending in "…" when cut.
    static func shortened(_ text: String, to limit: Int) -> String {
        guard text.count > limit else { return text }
        return String(text.prefix(max(limit - 1, 1))) + "…"
    }
}
