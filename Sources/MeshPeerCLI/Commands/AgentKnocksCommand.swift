import ArgumentParser
import CLISupport
import MeshNodeAPI
import MeshPeer

/// `meshpeer knocks`: knocks sent and received, and where each stands.
struct AgentKnocksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "knocks",
        abstract: "List knocks: the ones held for you to approve or deny, and your own."
    )

    @OptionGroup var home: HomeOptions
    @OptionGroup var output: AgentOutputOptions

    func run() async throws {
        try await AgentRunner.run(home) { client in
            let knocks = try await client.knocks()
            if output.json { return try AgentJSON.print(knocks) }
            guard !knocks.isEmpty else { return print("No knocks.") }
            let rows = knocks.map { knock in
                [
                    knock.id, knock.direction == "incoming" ? "from" : "to",
                    AgentFormat.did(knock.peer, full: output.full),
                    knock.intent, knock.state, AgentFormat.relative(knock.createdAt),
                    AgentFormat.clip(
                        knock.reason.map { "\(knock.purpose) (\($0))" } ?? knock.purpose,
                        50,
                        full: output.full
                    ),
                ]
            }
            print(AgentFormat.table(["ID", "", "PEER", "INTENT", "STATE", "AGE", "PURPOSE"], rows))
            if knocks.contains(where: { $0.state == "held" }) {
                print("Approve one with `meshpeer approve ID`, or refuse it with `meshpeer deny ID`.")
            }
        }
    }
}

/// `meshpeer approve` and `meshpeer deny` share everything but the answer.
struct AgentDecisionOptions: ParsableArguments {
    @OptionGroup var home: HomeOptions
    @OptionGroup var output: AgentOutputOptions

    @Argument(help: "The knock's ID (from `meshpeer knocks`).")
    var id: String

    @Option(help: "A reason the sender sees.")
    var reason: String?

    func decide(accept: Bool) async throws {
        try await AgentRunner.run(home) { client in
            let knock = try await client.decide(knock: id, accept: accept, reason: reason)
            if output.json { return try AgentJSON.print(knock) }
            let peer = AgentFormat.did(knock.peer, full: output.full)
            print(
                accept
                    ? "Accepted knock \(knock.id) from \(peer); it is a contact now."
                    : "Denied knock \(knock.id) from \(peer)."
            )
        }
    }
}

struct AgentApproveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approve",
        abstract: "Accept a knock held for you: the sender becomes a contact."
    )

    @OptionGroup var options: AgentDecisionOptions

    func run() async throws { try await options.decide(accept: true) }
}

struct AgentDenyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deny",
        abstract: "Refuse a knock held for you: nothing from the sender reaches you."
    )

    @OptionGroup var options: AgentDecisionOptions

    func run() async throws { try await options.decide(accept: false) }
}
