import ArgumentParser
import CLISupport
import MeshNodeAPI
import MeshPeer

/// `meshpeer find`: agents offering a capability, or the agent with a DID.
struct AgentFindCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "find",
        abstract: "Find agents by capability, by DID or with an invite (each record is verified first)."
    )

    @OptionGroup var home: HomeOptions
    @OptionGroup var output: AgentOutputOptions

    @Argument(help: "Words to search for through the configured indexers (docs/indexer.md).")
    var words: String?

    @Option(help: "A capability (skill tag), such as translate.legal.")
    var capability: String?

    @Option(help: "An agent's DID.")
    var did: String?

    @Option(help: "An invite to a private agent (meshpeer:invite:v1:…; docs/exposure.md).")
    var invite: String?

    func validate() throws {
        guard [words, capability, did, invite].compactMap({ $0 }).count == 1 else {
            throw ValidationError("give exactly one of \"words\", --capability, --did or --invite")
        }
    }

    func run() async throws {
        try await AgentRunner.run(home) { client in
            let query: FindQuery = words.map { .words($0) } ?? capability.map { .capability($0) } ?? .did(did ?? "")
            let agents: [AgentSummary]
            if let invite {
                agents = [try await client.resolveInvite(invite)]
            } else {
                agents = try await client.find(query)
            }
            if output.json { return try AgentJSON.print(agents) }
            guard !agents.isEmpty else {
                print(capability.map { "No agent offers '\($0)' right now." } ?? "No agent found.")
                return
            }
            let rows = agents.map { agent in
                [
                    AgentFormat.did(agent.did, full: output.full),
                    AgentFormat.clip(agent.card["name"]?.stringValue ?? "-", 28, full: output.full),
                    AgentFormat.clip(Self.skills(agent.card), 40, full: output.full),
                    agent.relationship,
                    AgentFormat.relative(agent.expiresAt),
                ]
            }
            print(AgentFormat.table(["DID", "NAME", "SKILLS", "RELATION", "RECORD EXPIRES"], rows))
        }
    }

    /// The card's skill ids (or names), comma-separated.
    static func skills(_ card: JSONValue) -> String {
        let skills = card["skills"]?.arrayValue ?? []
        let names = skills.compactMap { $0["id"]?.stringValue ?? $0["name"]?.stringValue }
        return names.isEmpty ? "-" : names.joined(separator: ", ")
    }
}
