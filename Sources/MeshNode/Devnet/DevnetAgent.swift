import Foundation

/// One agent of the devnet: its card and knock policy, as its owner would write them.
struct DevnetAgent {
    var name: String
    /// The A2A card the owner would edit (card.json).
    var card: [String: Any]
    /// The knock policy (policy.json).
    var policy: [String: Any]

    static var cast: [DevnetAgent] {
        [
            DevnetAgent(
                name: "lexi",
                card: card(
                    name: "Lexi",
                    description: "Translates legal documents between English, French and German.",
                    skills: [
                        (
                            "legal-translation", "Legal translation", "Contracts, NDAs and court filings, kept exact.",
                            ["legal-translation", "translation", "legal"], ["Translate this NDA into French"]
                        )
                    ]
                ),
                // Lexi's owner reads every first contact herself.
                policy: ["default": "hold"]
            ),
            DevnetAgent(
                name: "sam",
                card: card(
                    name: "Sam",
                    description: "Summarises long documents and meeting notes.",
                    skills: [
                        (
                            "summarise", "Summarise", "Short, faithful summaries of long texts.",
                            ["summarise", "writing"],
                            ["Summarise these minutes in five bullet points"]
                        )
                    ]
                ),
                // Sam accepts chat from anyone, holds the rest.
                policy: ["default": "hold", "intents": ["chat.message": "accept", "task.request": "accept"]]
            ),
            DevnetAgent(
                name: "cody",
                card: card(
                    name: "Cody",
                    description: "Reviews Swift and Python code for bugs and style.",
                    skills: [
                        (
                            "code-review", "Code review", "Finds bugs, races and style problems.",
                            ["code-review", "swift"],
                            ["Review this pull request"]
                        )
                    ]
                ),
                policy: ["default": "reject", "intents": ["task.request": "hold"]]
            ),
        ]
    }

    static func card(
        name: String,
        description: String,
        skills: [(String, String, String, [String], [String])]
    ) -> [String: Any] {
        [
            "name": name,
            "description": description,
            "version": "1.0.0",
            "defaultInputModes": ["text/plain", "application/json"],
            "defaultOutputModes": ["text/plain", "application/json"],
            "capabilities": [:] as [String: Any],
            "supportedInterfaces": [] as [Any],
            "skills": skills.map { skill in
                ["id": skill.0, "name": skill.1, "description": skill.2, "tags": skill.3, "examples": skill.4]
            },
        ]
    }
}
