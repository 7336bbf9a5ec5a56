import Foundation
import ICE
import ICEDriver
import Kademlia
import KademliaDriver
import KademliaStore
import MeshCore
import NIOCore
import NIOPosix

/// A running DHT node for one CLI invocation: the key, the driver, the output format.
final class DHTSession: Sendable {
    let driver: KademliaUDPDriver
    let group: MultiThreadedEventLoopGroup
    let did: String
    let nodeID: String
    let json: Bool

    private init(driver: KademliaUDPDriver, group: MultiThreadedEventLoopGroup, key: Ed25519.PrivateKey, json: Bool) {
        self.driver = driver
        self.group = group
        self.did = key.publicKey.did
        self.nodeID = NodeID(publicKey: key.publicKey).hex
        self.json = json
    }

    /// - Parameter persistent: keep records and a routing-table snapshot in SQLite (`serve`), unless ephemeral.
    static func open(
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
            let file = try home.keystore.readIdentityFile()
            let passphrase =
                file.isPassphraseProtected ? try home.passphrase(prompt: "Passphrase: ", confirm: false) : nil
            key = try file.unlock(passphrase: passphrase)
        }
        let listen = try dht.listenAddresses(default: defaultListen).map { try PeerAddress.resolve($0).socketAddress }
        let seeds = try dht.bootstrapAddresses(home: home.keystore.home)
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
    /// UDP sockets that also answer STUN, records in SQLite at `storePath` if given, then a bootstrap.
    static func start(
        key: Ed25519.PrivateKey,
        listen: [SocketAddress],
        seeds: [PeerAddress],
        storePath: String?,
        config: KademliaConfig,
        json: Bool,
        events: Bool
    ) async throws -> DHTSession {
        let store = try storePath.map { try SQLiteRecordStore(path: $0) }
        // Contacts from the last run come first: rejoining through them needs no bootstrap list.
        let initialSeeds = (try store?.loadContacts().map(\.address) ?? []) + seeds
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let sink: @Sendable (KademliaEvent) -> Void = { event in
            DHTSupport.print(DHTSupport.describe(event), json: json)
        }
        let driver = try await KademliaUDPDriver.start(
            listen: listen,
            group: group,
            stunHandler: DHTSession.stunResponder(),
            eventSink: events ? sink : nil,
            makeCore: { now in
                KademliaNode(
                    signingKey: key,
                    config: config,
                    store: store ?? InMemoryRecordStore(),
                    random: SystemRandom(),
                    now: now
                )
            }
        )
        if let store { DHTSession.keepSnapshot(of: driver, in: store) }
        try await driver.perform { core, now in core.bootstrap(from: initialSeeds, now: now) }
        return DHTSession(driver: driver, group: group, key: key, json: json)
    }

    /// Every node answers STUN Binding requests on its DHT port (rate-limited per source inside the responder), so
    /// agents learn their server-reflexive address from the peers they already talk to.
    static func stunResponder() -> STUNHandler {
        let responder = LockedValue(STUNResponder())
        let clock = SystemClock()
        return { datagram, source, replier in
            guard let from = TransportAddress(source) else { return }
            let now = clock.now()
            guard let reply = responder.withLock({ $0.respond(to: datagram, from: from, now: now) }) else { return }
            // Without alternate sockets every answer leaves from the socket the request reached.
            if reply.origin == .same { replier.send(reply.bytes, to: source) }
        }
    }

    /// Saves the table's verified contacts every 30 s, so a restart rejoins through them.
    static func keepSnapshot(of driver: KademliaUDPDriver, in store: SQLiteRecordStore) {
        Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(30))
                if let (contacts, now) = try? await driver.perform({ core, now in (core.routingTable.allContacts, now) }
                ) {
                    try? store.saveContacts(contacts, now: now)
                }
            }
        }
    }

    var addresses: [String] {
        driver.localAddresses.compactMap { PeerAddress($0)?.description }
    }

    /// Waits (bounded) until a bootstrap node has answered, so a lookup has somewhere to start.
    func waitForContacts(timeout: Duration = .seconds(5)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await driver.perform({ core, _ in core.routingTable.count }) > 0 { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw CLIError("no bootstrap node answered within \(timeout) (use --bootstrap host:port)")
    }

    func report(_ fields: [String: Any]) {
        DHTSupport.print(fields, json: json)
    }

    /// One line on stderr when a person is watching; nothing in scripts.
    func progress(_ message: String) {
        if isatty(STDERR_FILENO) != 0 { FileHandle.standardError.write(Data("… \(message)\n".utf8)) }
    }

    func close() async {
        await driver.shutdown()
        try? await group.shutdownGracefully()
    }
}
