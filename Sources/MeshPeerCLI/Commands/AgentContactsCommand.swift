import ArgumentParser
import CLISupport
import MeshNodeAPI
import MeshPeer

/// `meshpeer contacts`: the agents this one may message.
struct AgentContactsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "contacts",
        abstract: "List contacts: agents whose knock you accepted, or who accepted yours."
    )

    @OptionGroup var home: HomeOptions
    @OptionGroup var output: AgentOutputOptions

    func run() async throws {
        try await AgentRunner.run(home) { client in
            let contacts = try await client.contacts()
            if output.json { return try AgentJSON.print(contacts) }
            guard !contacts.isEmpty else {
                return print("No contacts yet; `meshpeer find` and `meshpeer knock` make some.")
            }
            let rows = contacts.map { contact in
                [
                    AgentFormat.did(contact.did, full: output.full),
                    AgentFormat.clip(contact.name ?? "-", 28, full: output.full), contact.tier?.rawValue ?? "contact",
                    AgentFormat.relative(contact.since), AgentFormat.relative(contact.lastMessageAt),
                ]
            }
            print(AgentFormat.table(["DID", "NAME", "TIER", "SINCE", "LAST MESSAGE"], rows))
        }
    }
}
