import ArgumentParser
import CLISupport
import MeshNodeAPI
import MeshPeer

/// `meshpeer knock-token rotate`: the owner's answer to a flood of knocks, without a new identity.
struct AgentKnockTokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "knock-token",
        abstract: "Manage the knock token every first contact must carry.",
        subcommands: [Rotate.self]
    )

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate",
            abstract: "Publish a new knock token; knocks with the old one are refused after one record lifetime."
        )

        @OptionGroup var home: HomeOptions
        @OptionGroup var output: AgentOutputOptions

        func run() async throws {
            try await AgentRunner.run(home) { client in
                let rotation = try await client.rotateKnockToken()
                if output.json { return try AgentJSON.print(rotation) }
                print(
                    "New knock token published. Knocks carrying the previous one are accepted until "
                        + "\(rotation.previousValidUntil), then refused."
                )
            }
        }
    }
}
