import ArgumentParser
import DHTCLI
import Foundation
import MeshCore
import ProcessSupport

/// `meshpeer-dht` (also run as `meshpeer dht serve`): a DHT node in a binary of its own.
///
/// Bootstrap nodes and anyone who only serves the DHT run this process, often many to a machine, so it holds only
/// the DHT's code: no agent node, HTTP server, relay or indexer. Its Swift runtime and Foundation are linked
/// statically. Both cut its resident set; `meshpeer` links everything and dynamically (docs/node.md, "Resident
/// memory"). `meshpeer dht serve` execs this binary from `meshpeer`'s own directory with the same arguments.
@main
struct MeshPeerDHTCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "meshpeer-dht",
        abstract: "A Kademlia DHT node alone (what `meshpeer dht serve` runs), and the DHT's look-up verbs.",
        discussion: """
            The verbs and options are those of `meshpeer dht`; `meshpeer dht serve` runs `meshpeer-dht serve`.
            """,
        version: "meshpeer-dht \(MeshPeerVersion.string) (protocol v\(MeshPeerVersion.protocolVersion))",
        subcommands: [
            DHTServeCommand.self, DHTGetCommand.self, DHTPutCommand.self, DHTProvidersCommand.self,
            DHTFindNodeCommand.self, DHTBootstrapNodesCommand.self,
        ]
    )

    /// ArgumentParser's entry point, after `ParentWatch` (a child of `devnet` or `meshbench` stops with its parent).
    static func main() {
        ParentWatch.startIfAsked()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}
