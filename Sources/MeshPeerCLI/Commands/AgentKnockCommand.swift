import ArgumentParser
import CLISupport
import MeshNodeAPI
import MeshPeer

/// `meshpeer knock`: first contact with an agent.
struct AgentKnockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "knock",
        abstract: "Ask an agent for contact: nothing else reaches it from you until it accepts.",
        discussion: "The answer arrives later; `meshpeer knocks` shows where each knock stands."
    )

    @OptionGroup var home: HomeOptions
    @OptionGroup var output: AgentOutputOptions

    @Argument(help: "The agent's DID.")
    var did: String

    @Option(help: "What you want to do together, such as task.request or chat.message.")
    var intent: String

    @Option(help: "Why, in a sentence the other side's owner reads (encrypted to the recipient).")
    var purpose: String

    @Option(help: "The DID of a contact of theirs who introduced you.")
    var introducedBy: String?

    func run() async throws {
        try await AgentRunner.run(home) { client in
            let knock = try await client.knock(
                KnockRequest(to: did, intent: intent, purpose: purpose, introducedBy: introducedBy)
            )
            if output.json { return try AgentJSON.print(knock) }
            print("Knocked on \(AgentFormat.did(knock.peer, full: output.full)): knock \(knock.id) is \(knock.state).")
            print("The answer arrives on its own; `meshpeer knocks` shows it.")
        }
    }
}
