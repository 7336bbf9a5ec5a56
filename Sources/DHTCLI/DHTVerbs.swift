import ArgumentParser
import CLISupport
import Foundation
import Kademlia
import KademliaDriver
import MeshCore

/// `meshpeer dht get --did DID`: finds an agent's record.
public struct DHTGetCommand: ParsableCommand, Sendable {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Find an agent's signed record by DID."
    )

    @OptionGroup var home: HomeOptions
    @OptionGroup var dht: DHTOptions
    @Option(name: .long, help: "The agent's DID.") var did: String

    public func run() throws {
        try CLIRunner.run {
            _ = try DIDKey.decode(did)
            let did = did
            try DHTSupport.lookUpOnce(home: home, dht: dht, what: did) { core, now in
                core.getAgentRecord(did: did, now: now)
            }
        }
    }
}

/// `meshpeer dht put --card FILE`: publishes this agent's record once (a serving node republishes; this does not).
public struct DHTPutCommand: ParsableCommand, Sendable {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "put",
        abstract: "Publish this agent's record once."
    )

    @OptionGroup var home: HomeOptions
    @OptionGroup var dht: DHTOptions
    @Option(name: .long, help: "JSON file with the agent card.") var card: String

    public func run() throws {
        try CLIRunner.run {
            let card = try DHTSupport.readCard(card)
            try DHTSupport.block {
                let session = try await DHTSession.open(home: home, dht: dht, defaultListen: "0.0.0.0:0")
                try await session.waitForContacts()
                session.progress("publishing \(session.did)")
                let event = try await session.driver.query(orThrow: { core, now in
                    try core.publishAgentRecord(agentCard: card, now: now)
                })
                session.report(DHTSupport.describe(event))
                await session.close()
            }
        }
    }
}

/// `meshpeer dht providers CAPABILITY`: lists agents that announce a capability.
public struct DHTProvidersCommand: ParsableCommand, Sendable {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "providers",
        abstract: "Find providers of a capability."
    )

    @OptionGroup var home: HomeOptions
    @OptionGroup var dht: DHTOptions
    @Argument(help: "Capability name.") var capability: String

    public func run() throws {
        try CLIRunner.run {
            let key = ProviderRecord.key(forCapability: capability)
            try DHTSupport.lookUpOnce(
                home: home,
                dht: dht,
                what: "providers of \(capability)",
                extra: ["capability": capability]
            ) { core, now in core.getProviders(key, now: now) }
        }
    }
}

/// `meshpeer dht find-node HEX`: the closest live nodes to an ID.
public struct DHTFindNodeCommand: ParsableCommand, Sendable {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "find-node",
        abstract: "Find the nodes closest to a 256-bit ID (64 hex digits)."
    )

    @OptionGroup var home: HomeOptions
    @OptionGroup var dht: DHTOptions
    @Argument(help: "Target ID, 64 hex digits.") var target: String

    public func run() throws {
        try CLIRunner.run {
            guard let bytes = Hex.decode(target), let id = try? NodeID(bytes: bytes) else {
                throw CLIError("the target must be 64 hex digits")
            }
            try DHTSupport.lookUpOnce(home: home, dht: dht, what: target) { core, now in core.findNode(id, now: now) }
        }
    }
}
extension DHTSupport {
    /// A look-up verb's whole run: a short-lived client node (`asClient`) joins, asks once, prints the result with
    /// `extra` fields added, and closes.
    static func lookUpOnce(
        home: HomeOptions,
        dht: DHTOptions,
        what: String,
        extra: [String: String] = [:],
        query: @escaping @Sendable (KademliaNode, Timestamp) -> QueryID
    ) throws {
        try block {
            let session = try await DHTSession.open(home: home, dht: dht.asClient, defaultListen: "0.0.0.0:0")
            try await session.waitForContacts()
            session.progress("looking up \(what)")
            let event = await session.driver.query(query)
            var line = describe(event)
            for (key, value) in extra { line[key] = value }
            session.report(line)
            await session.close()
        }
    }
}

extension DHTOptions {
    /// Look-ups need no identity of their own: a throwaway key keeps the agent's key locked away.
    public var asClient: DHTOptions {
        var copy = self
        copy.ephemeral = true
        copy.readOnly = true
        return copy
    }
}
