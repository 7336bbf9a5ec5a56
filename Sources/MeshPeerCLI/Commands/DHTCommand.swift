import ArgumentParser
import DHTCLI

/// `meshpeer dht …`: run a DHT node, and debugging verbs that start a short-lived node, ask, print and exit.
struct DHTCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dht",
        abstract: "Kademlia DHT: run a node, publish and look up agent records and capability providers.",
        subcommands: [
            DHTServeCommand.self, DHTGetCommand.self, DHTPutCommand.self, DHTProvidersCommand.self,
            DHTFindNodeCommand.self, DHTRelaysCommand.self, DHTBootstrapNodesCommand.self,
        ]
    )
}
