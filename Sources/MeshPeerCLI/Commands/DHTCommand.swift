import ArgumentParser
import Foundation
import Kademlia
import KademliaDriver
import MeshCore

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

/// Options every `dht` verb shares.
struct DHTOptions: ParsableArguments {
    @Option(name: .long, help: "host:port to bind (repeat for IPv4 and IPv6; default both families; port 0 picks one).")
    var listen: [String] = []

    @Option(name: .long, help: "host:port of a node to join through (repeatable).")
    var bootstrap: [String] = []

    @Option(name: .long, help: "A bootstrap-nodes.json file (default: <home>/bootstrap-nodes.json if present).")
    var bootstrapFile: String?

    @Flag(name: .long, help: "Use a throwaway key instead of the agent's identity.")
    var ephemeral = false

    @Option(name: .long, help: "Lifetime of records this node publishes, in seconds.")
    var recordTTL: Int = 1_800

    @Option(name: .long, help: "Seconds between re-publishes of this node's records (default: a third of the TTL).")
    var republish: Int?

    @Option(name: .long, help: "SQLite file for records and the routing-table snapshot (default: <home>/dht.sqlite).")
    var store: String?

    @Option(name: .long, help: "Seconds to wait for an answer.")
    var timeout: Int = 10

    @Flag(name: .long, help: "Print JSON instead of text.")
    var json = false

    /// Hidden: below the default it gives up the replay defence (decisions 0105/0106), which only a measurement
    /// should do (`meshbench dht-net --ours-value-quorum`, to show what that defence costs a lookup).
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Share (0-1) of the k closest nodes a value lookup hears before it keeps the newest record; 0 keeps the "
                + "first record found, without the replay defence. For measurements.",
            visibility: .hidden
        )
    )
    var valueLookupQuorum = KademliaConfig().valueLookupQuorum

    /// Set by the look-up verbs: a short-lived client should not enter other nodes' tables.
    var readOnly = false

    enum CodingKeys: String, CodingKey {
        case listen, bootstrap, bootstrapFile, ephemeral, recordTTL, republish, store, timeout, json
        case valueLookupQuorum
    }

    func validate() throws {
        guard (0...1).contains(valueLookupQuorum) else {
            throw ValidationError("--value-lookup-quorum must be between 0 and 1, not \(valueLookupQuorum)")
        }
    }

    var config: KademliaConfig {
        var config = KademliaConfig()
        config.recordTTL = .seconds(max(1, recordTTL))
        config.republishInterval = .seconds(max(1, republish ?? max(1, recordTTL / 3)))
        config.expirySweepInterval = .seconds(max(1, min(30, recordTTL / 4)))
        config.lookupTimeout = .seconds(max(1, timeout))
        config.readOnly = readOnly
        config.valueLookupQuorum = valueLookupQuorum
        return config
    }

    /// `--listen`, or the command's default. A default IPv4 wildcard (`0.0.0.0:PORT`) gets its IPv6 twin
    /// (`[::]:PORT`): nodes listen on both families unless told otherwise, and on a host without IPv6 the driver
    /// keeps the IPv4 socket and reports the other (`unavailableListen`; decision 0099). `--listen` is exact.
    func listenAddresses(default fallback: String) throws -> [String] {
        guard listen.isEmpty else { return listen }
        guard fallback.hasPrefix("0.0.0.0:") else { return [fallback] }
        return [fallback, "[::]:" + fallback.dropFirst("0.0.0.0:".count)]
    }

    /// Flags first, then the bootstrap list (`--bootstrap-file`, else `<home>/bootstrap-nodes.json`, else the
    /// built-in list when no flag names a seed and the node is not on loopback only); names that do not resolve
    /// are reported, not fatal.
    func bootstrapAddresses(home: String, listen: [String]) throws -> [TransportAddress] {
        var addresses = try bootstrap.map { try TransportAddress.resolve($0) }
        if let (list, _) = try BootstrapList.standard(
            file: bootstrapFile,
            home: home,
            explicitSeeds: !bootstrap.isEmpty,
            listen: listen
        ) {
            let (resolved, failures) = list.resolved()
            for failure in failures { FileHandle.standardError.write(Data("meshpeer: warning: \(failure)\n".utf8)) }
            addresses += resolved
        }
        return addresses
    }
}

/// `meshpeer dht serve`: runs a node until killed; optionally publishes this agent's record and capabilities.
struct DHTServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run a DHT node (prints a 'listening' line, then one line per event with --json)."
    )

    @OptionGroup var home: HomeOptions
    @OptionGroup var dht: DHTOptions

    @Option(name: .long, help: "Publish this agent's record with this JSON file as its agent card.")
    var publishCard: String?

    @Option(name: .long, help: "Announce this node as a provider of a capability (repeatable).")
    var provide: [String] = []

    @Option(
        name: .long,
        help: "Find nodes on the LAN by multicast, on the interface with this address (IPv4 or IPv6) or name."
    )
    var lan: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Families for --lan: both (each where the interface and the DHT node have it), ipv4 or ipv6.",
            valueName: "both|ipv4|ipv6"
        )
    )
    var lanFamily: String = LANFamilies.both.rawValue

    @Flag(
        name: .long,
        help: ArgumentHelp(
            "Take put/get commands as JSON lines on stdin, answer on stdout, and stop at end of stdin "
                + "(for `meshbench dht-net`; the event lines are not printed then)."
        )
    )
    var stdinCommands = false

    func validate() throws {
        guard LANFamilies(rawValue: lanFamily) != nil else {
            throw ValidationError("--lan-family must be both, ipv4 or ipv6, not \(lanFamily)")
        }
    }

    func run() throws {
        try CLIRunner.run {
            let card = try publishCard.map { try DHTSupport.readCard($0) }
            try DHTSupport.block {
                let session = try await DHTSession.open(
                    home: home,
                    dht: dht,
                    defaultListen: "0.0.0.0:4646",
                    events: !stdinCommands,
                    persistent: true
                )
                session.report([
                    "event": "listening", "addresses": session.addresses, "node_id": session.nodeID, "did": session.did,
                ])
                for skipped in session.driver.unavailableListen {
                    FileHandle.standardError.write(Data("meshpeer: note: no IPv6 here, IPv4 only: \(skipped)\n".utf8))
                }
                if stdinCommands { DHTStdinCommands.start(session) }
                var discovery: LANDiscovery?
                if let lan {
                    discovery = try await DHTLANDiscovery.start(session, interface: lan, families: lanFamily)
                }
                defer { _ = discovery }
                await Self.waitForAPeer(session)
                if let card {
                    let event = try await session.driver.query(orThrow: { core, now in
                        try core.publishAgentRecord(agentCard: card, now: now)
                    })
                    session.report(DHTSupport.describe(event))
                }
                for capability in provide {
                    let event = await session.driver.query { core, now in core.provide(capability: capability, now: now)
                    }
                    var line = DHTSupport.describe(event)
                    line["capability"] = capability
                    session.report(line)
                }
                while true { try await Task.sleep(for: .seconds(3_600)) }
            }
        }
    }

    /// A node with nobody to talk to yet (the first node of a network, or its bootstrap nodes are down) keeps
    /// running alone and says so once; the caller publishes when this returns, as soon as a peer joins (a node
    /// that bootstraps through this one enters its routing table).
    static func waitForAPeer(_ session: DHTSession) async {
        guard await session.contactCount() == 0 else { return }
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline, await session.contactCount() == 0 {
            try? await Task.sleep(for: .milliseconds(20))
        }
        guard await session.contactCount() == 0 else { return }
        session.report([
            "event": "alone",
            "message": "no other DHT node answered: running alone as the first node of a network; "
                + "publishing as soon as a peer joins",
        ])
        while await session.contactCount() == 0 { try? await Task.sleep(for: .milliseconds(100)) }
        session.report(["event": "peer-joined", "contacts": await session.contactCount()])
    }
}
