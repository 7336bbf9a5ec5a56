import ArgumentParser
import CLISupport
import Foundation
import Kademlia
import KademliaDriver
import MeshCore

/// `meshpeer dht serve`: runs a node until killed; optionally publishes this agent's record and capabilities.
public struct DHTServeCommand: ParsableCommand, Sendable {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run a DHT node (prints a 'listening' line, then one line per event with --json)."
    )

    @OptionGroup var home: HomeOptions
    @OptionGroup var dht: DHTOptions

    @Option(name: .long, help: "Publish this agent's record with this JSON file as its agent card.")
    public var publishCard: String?

    @Option(name: .long, help: "Announce this node as a provider of a capability (repeatable).")
    public var provide: [String] = []

    @Option(
        name: .long,
        help: "Find nodes on the LAN by multicast, on the interface with this address (IPv4 or IPv6) or name."
    )
    public var lan: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Families for --lan: both (each where the interface and the DHT node have it), ipv4 or ipv6.",
            valueName: "both|ipv4|ipv6"
        )
    )
    public var lanFamily: String = LANFamilies.both.rawValue

    @Flag(
        name: .long,
        help: ArgumentHelp(
            "Take put/get commands as JSON lines on stdin, answer on stdout, and stop at end of stdin "
                + "(for `meshbench dht-net`; the event lines are not printed then)."
        )
    )
    public var stdinCommands = false

    public func validate() throws {
        guard LANFamilies(rawValue: lanFamily) != nil else {
            throw ValidationError("--lan-family must be both, ipv4 or ipv6, not \(lanFamily)")
        }
    }

    public func run() throws {
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
                try await Self.waitForAPeer(session)
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
    /// that bootstraps through this one enters its routing table). Ends with a throw if its task is cancelled (a
    /// swallowed cancellation would make the waits below return at once, and the loop spin).
    public static func waitForAPeer(_ session: DHTSession) async throws {
        guard await session.contactCount() == 0 else { return }
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline, await session.contactCount() == 0 {
            try await Task.sleep(for: .milliseconds(20))
        }
        guard await session.contactCount() == 0 else { return }
        session.report([
            "event": "alone",
            "message": "no other DHT node answered: running alone as the first node of a network; "
                + "publishing as soon as a peer joins",
        ])
        while await session.contactCount() == 0 { try await Task.sleep(for: .milliseconds(100)) }
        session.report(["event": "peer-joined", "contacts": await session.contactCount()])
    }
}
