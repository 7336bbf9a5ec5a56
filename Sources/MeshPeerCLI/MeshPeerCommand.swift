import ArgumentParser
import MeshCore
import MeshNode
import MeshPeer
import ProcessSupport

@main
struct MeshPeerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "meshpeer",
        abstract: "A peer node for the agent mesh: identity, discovery, private messaging.",
        discussion: """
            Each agent runs one node. Its keys live in the data directory (~/.meshpeer, or --home, or \
            MESHPEER_HOME) and never leave the machine.
            """,
        version: "meshpeer \(MeshPeerVersion.string) (protocol v\(MeshPeerVersion.protocolVersion))",
        subcommands: [
            InitCommand.self, IdCommand.self, DIDCommand.self, DHTCommand.self, NATCheckCommand.self,
            STUNServerCommand.self, RelayCommand.self, RunCommand.self, DevnetCommand.self,
            AgentStatusCommand.self, AgentFindCommand.self, AgentKnockCommand.self, AgentKnocksCommand.self,
            AgentApproveCommand.self, AgentDenyCommand.self, AgentSendCommand.self, AgentInboxCommand.self,
            AgentContactsCommand.self, AgentKnockTokenCommand.self, TokenCommand.self, MCPCommand.self,
            DashboardCommand.self, InviteCommand.self, IndexerCommand.self, CardCommand.self,
            AuditCommand.self, BreakerCommand.self, OwnerCommand.self,
        ]
    )

    /// ArgumentParser's entry point, after `dht serve`'s hand-off to `meshpeer-dht` and `ParentWatch` (a child of
    /// `devnet` or `meshbench` stops with its parent).
    static func main() async {
        SiblingExecutable.handOffDHTServe()
        ParentWatch.startIfAsked()
        do {
            var command = try parseAsRoot()
            if var command = command as? AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
