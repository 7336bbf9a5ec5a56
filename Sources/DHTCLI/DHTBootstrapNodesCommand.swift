import ArgumentParser
import CLISupport
import Foundation
import KademliaDriver

/// `meshpeer dht bootstrap-nodes`: the bootstrap list this data directory uses, and where it comes from.
///
/// A node contacts these first: the data directory's `bootstrap-nodes.json` when there is one, else the list
/// compiled into the binary (the repository's `bootstrap-nodes.json`). A file with a schema error is reported
/// here exactly as a starting node would report it.
public struct DHTBootstrapNodesCommand: ParsableCommand, Sendable {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "bootstrap-nodes",
        abstract: "Show the bootstrap list in use (the data directory's bootstrap-nodes.json, else the built-in one)."
    )

    @OptionGroup var home: HomeOptions

    @Option(name: .long, help: "Check and show this bootstrap-nodes.json instead.")
    public var file: String?

    @Flag(name: .customLong("built-in"), help: "Print the built-in list exactly as compiled in.")
    public var builtIn = false

    @Flag(name: .long, help: "Print JSON instead of text.")
    public var json = false

    public func run() throws {
        try CLIRunner.run {
            if builtIn {
                _ = try BootstrapList.builtIn()
                FileHandle.standardOutput.write(Data(BootstrapList.builtInJSON.utf8))
                return
            }
            let (list, origin) =
                try BootstrapList.standard(file: file, home: home.keystore.home, explicitSeeds: false, listen: [])
                ?? (try BootstrapList.builtIn(), "the built-in list")
            if json {
                let nodes = list.nodes.map { node in
                    ["address": node.address, "node_id": node.nodeID, "operator": node.operator, "note": node.note]
                        .compactMapValues { $0 }
                }
                DHTSupport.print(["source": origin, "nodes": nodes], json: true)
                return
            }
            print("bootstrap list: \(origin) (\(list.nodes.count) node\(list.nodes.count == 1 ? "" : "s"))")
            if list.nodes.isEmpty {
                print("  empty: a node with no other seeds starts alone, as the first node of a network")
            }
            for node in list.nodes {
                print("  \(node.address)\(node.operator.map { "  (\($0))" } ?? "")")
            }
        }
    }
}
