import CLISupport
import Foundation
import Kademlia
import KademliaDriver
import MeshCore
import MeshDHT
import NIOCore
import NIOPosix

/// A running DHT node for one CLI invocation: the key, the driver, the output format.
public final class DHTSession: Sendable {
    public let node: DHTNode
    /// The group this session made for a one-shot command, shut down on close; nil when the caller's
    /// (the relay's) group was handed in.
    public let ownedGroup: MultiThreadedEventLoopGroup?
    public let did: String
    public let nodeID: String
    public let json: Bool
    /// How many bootstrap addresses it was started with (0: nobody to ask until a peer contacts it).
    public let seedCount: Int

    public var driver: KademliaUDPDriver { node.driver }

    private init(
        node: DHTNode,
        ownedGroup: MultiThreadedEventLoopGroup?,
        key: Ed25519.PrivateKey,
        json: Bool,
        seeds: Int
    ) {
        self.node = node
        self.ownedGroup = ownedGroup
        self.did = key.publicKey.did
        self.nodeID = NodeID(publicKey: key.publicKey).hex
        self.json = json
        self.seedCount = seeds
    }

    /// - Parameter persistent: keep records and a routing-table snapshot in SQLite (`serve`), unless ephemeral.
    public static func open(
        home: HomeOptions,
        dht: DHTOptions,
        defaultListen: String,
        events: Bool = false,
        persistent: Bool = false
    ) async throws -> DHTSession {
        let key: Ed25519.PrivateKey
        if dht.ephemeral {
            key = Ed25519.PrivateKey()
        } else {
            let file = try home.identityFile()
            let passphrase =
                file.isPassphraseProtected ? try home.passphrase(prompt: "Passphrase: ", confirm: false) : nil
            key = try file.unlock(passphrase: passphrase)
        }
        let listen = try dht.listenAddresses(default: defaultListen).map {
            try TransportAddress.resolve($0).socketAddress
        }
        let seeds = try dht.bootstrapAddresses(
            home: home.keystore.home,
            listen: dht.listenAddresses(default: defaultListen)
        )
        let storePath: String? =
            persistent && (dht.store != nil || !dht.ephemeral)
            ? dht.store ?? (home.keystore.home as NSString).appendingPathComponent("dht.sqlite") : nil
        return try await start(
            key: key,
            listen: listen,
            seeds: seeds,
            storePath: storePath,
            config: dht.config,
            json: dht.json,
            events: events
        )
    }

    /// Starts a node with an explicit key and settings (`meshpeer relay` runs its bootstrap node through this):
    /// the library's `DHTNode` (UDP sockets that also answer STUN, records in SQLite at `storePath` if given, the
    /// routing-table snapshot), on this process's one event-loop group, then a bootstrap.
    public static func start(
        key: Ed25519.PrivateKey,
        listen: [SocketAddress],
        seeds: [TransportAddress],
        storePath: String?,
        config: KademliaConfig,
        json: Bool,
        events: Bool,
        group callerGroup: (any EventLoopGroup)? = nil
    ) async throws -> DHTSession {
        // A one-shot `dht` command is its own process's main, so it makes the process's one group here; the relay
        // hands in the group its `serve` made.
        let ownedGroup = callerGroup == nil ? MultiThreadedEventLoopGroup(numberOfThreads: 1) : nil
        let group: any EventLoopGroup = callerGroup ?? ownedGroup!
        let sink: @Sendable (KademliaEvent) -> Void = { event in
            DHTSupport.print(DHTSupport.describe(event), json: json)
        }
        do {
            let node = try await DHTNode.start(
                signingKey: key,
                listen: listen,
                seeds: seeds,
                storePath: storePath,
                config: config,
                group: group,
                eventSink: events ? sink : nil
            )
            return DHTSession(node: node, ownedGroup: ownedGroup, key: key, json: json, seeds: seeds.count)
        } catch {
            try? await ownedGroup?.shutdownGracefully()
            throw error
        }
    }

    public var addresses: [String] { node.addresses }

    /// Waits (bounded) until a bootstrap node has answered, so a lookup has somewhere to start.
    public func waitForContacts(timeout: Duration = .seconds(5)) async throws {
        guard seedCount > 0 else {
            throw CLIError(
                "no bootstrap nodes to ask: none given, no bootstrap-nodes.json in the data directory, and the "
                    + "built-in list is empty (use --bootstrap host:port)"
            )
        }
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await driver.perform({ core, _ in core.routingTable.count }) > 0 { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw CLIError(
            "no bootstrap node answered within \(timeout) (use --bootstrap host:port, or put a bootstrap-nodes.json "
                + "in the data directory)"
        )
    }

    /// The number of contacts in the routing table.
    public func contactCount() async -> Int {
        (try? await driver.perform { core, _ in core.routingTable.count }) ?? 0
    }

    /// The routing table's size and the core's counters (datagrams sent and received, how many of them tagged,
    /// drops), read together on the loop for `stats`. Throws once the driver has shut down.
    public func statistics() async throws -> (contacts: Int, counters: KademliaCounters, pairKeysDerived: Int) {
        try await driver.perform { core, _ in (core.routingTable.count, core.counters, core.pairKeysDerived) }
    }

    public func report(_ fields: [String: Any]) {
        DHTSupport.print(fields, json: json)
    }

    /// One line on stderr when a person is watching; nothing in scripts.
    public func progress(_ message: String) {
        if isatty(STDERR_FILENO) != 0 { FileHandle.standardError.write(Data("… \(message)\n".utf8)) }
    }

    public func close() async {
        await node.shutdown()
        try? await ownedGroup?.shutdownGracefully()
    }
}
