import ArgumentParser
import CLISupport
import MeshNodeAPI
import MeshPeer

/// `meshpeer invite create|list|revoke|resolve`: invites to a private agent (docs/exposure.md).
struct InviteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invite",
        abstract: "Make, list and revoke invites to this private agent, or find an agent with an invite.",
        subcommands: [Create.self, List.self, Revoke.self, Resolve.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make an invite to hand over out of band (shown once; the node keeps it to publish)."
        )

        @OptionGroup var home: HomeOptions
        @OptionGroup var output: AgentOutputOptions

        @Option(help: "A label for your own list (who you gave it to), at most 64 bytes.")
        var label: String?

        @Option(help: "Seconds until the invite expires (60 to one year); none by default.")
        var expiresIn: Int?

        func run() async throws {
            try await AgentRunner.run(home) { client in
                let invite = try await client.createInvite(
                    InviteCreateRequest(label: label, expiresInSeconds: expiresIn)
                )
                if output.json { return try AgentJSON.print(invite) }
                print(invite.invite ?? "")
                print("Invite \(invite.id) created. Hand the line above over privately; it is not shown again.")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List this agent's invites (never their secrets).")

        @OptionGroup var home: HomeOptions
        @OptionGroup var output: AgentOutputOptions

        func run() async throws {
            try await AgentRunner.run(home) { client in
                let invites = try await client.invites()
                if output.json { return try AgentJSON.print(invites) }
                guard !invites.isEmpty else { return print("No invites.") }
                let rows = invites.map { [$0.id, $0.state, $0.label ?? "-", $0.createdAt, $0.expiresAt ?? "never"] }
                print(AgentFormat.table(["ID", "STATE", "LABEL", "CREATED", "EXPIRES"], rows))
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke an invite: its slot is overwritten at once and gone within one record lifetime."
        )

        @OptionGroup var home: HomeOptions
        @OptionGroup var output: AgentOutputOptions

        @Argument(help: "The invite's ID, from `meshpeer invite list`.")
        var id: String

        func run() async throws {
            try await AgentRunner.run(home) { client in
                let invite = try await client.revokeInvite(id: id)
                if output.json { return try AgentJSON.print(invite) }
                print("Invite \(invite.id) revoked; the other invites keep working.")
            }
        }
    }

    struct Resolve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Find the private agent an invite leads to (then knock as usual)."
        )

        @OptionGroup var home: HomeOptions
        @OptionGroup var output: AgentOutputOptions

        @Argument(help: "The invite text, meshpeer:invite:v1:…")
        var invite: String

        func run() async throws {
            try await AgentRunner.run(home) { client in
                let agent = try await client.resolveInvite(invite)
                if output.json { return try AgentJSON.print(agent) }
                let name = agent.card["name"]?.stringValue ?? "-"
                print("Found \(AgentFormat.did(agent.did, full: true)) (\(name)). Knock to start a conversation.")
            }
        }
    }
}
