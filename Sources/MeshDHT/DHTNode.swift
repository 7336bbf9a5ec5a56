import CoreMetrics
import Foundation
import ICE
import ICEDriver
import Kademlia
import KademliaDriver
import KademliaStore
import MeshCore
import NIOCore

/// The node's DHT participant: a `KademliaUDPDriver` on the process's event-loop group, whose sockets also answer
/// STUN, with records kept in SQLite and the routing table snapshotted for the next start.
///
/// It only wraps the driver's commands in async calls the node can await; the Kademlia core decides everything.
public final class DHTNode: Sendable {
    public let driver: KademliaUDPDriver
    public let key: Ed25519.PublicKey
    private let snapshot: LockedValue<Task<Void, Never>?>
    /// LAN discovery, when config.json's `dht.lan` names an interface (`startLAN`); stopped before the driver.
    private let lan = LockedValue<LANDiscovery?>(nil)
    /// The SQLite store, if the node keeps one: its `health` says what storage failed.
    public let store: SQLiteRecordStore?

    private init(
        driver: KademliaUDPDriver,
        key: Ed25519.PublicKey,
        snapshot: Task<Void, Never>?,
        store: SQLiteRecordStore?
    ) {
        self.driver = driver
        self.key = key
        self.snapshot = LockedValue(snapshot)
        self.store = store
    }

    /// Binds `listen`, joins through the previous run's contacts and then `seeds`.
    public static func start(
        signingKey: Ed25519.PrivateKey,
        listen: [SocketAddress],
        seeds: [TransportAddress],
        storePath: String?,
        config: KademliaConfig = KademliaConfig(),
        group: any EventLoopGroup,
        eventSink: (@Sendable (KademliaEvent) -> Void)? = nil
    ) async throws -> DHTNode {
        // Opening loads and re-verifies the stored records: synchronous SQLite, here before any event loop runs the core.
        let store = try storePath.map { try SQLiteRecordStore(path: $0, config: config) }
        let initialSeeds = (try store?.loadContacts().map(\.address) ?? []) + seeds
        let driver = try await KademliaUDPDriver.start(
            listen: listen,
            group: group,
            stunHandler: DHTNode.stunResponder(),
            eventSink: { event in
                DHTNode.count(event)
                eventSink?(event)
            },
            makeCore: { now in
                KademliaNode(
                    signingKey: signingKey,
                    config: config,
                    store: store ?? InMemoryRecordStore(),
                    random: SystemRandom(),
                    now: now
                )
            }
        )
        let snapshot = store.map { DHTNode.keepSnapshot(of: driver, in: $0) }
        try await driver.perform { core, now in core.bootstrap(from: initialSeeds, now: now) }
        return DHTNode(driver: driver, key: signingKey.publicKey, snapshot: snapshot, store: store)
    }

    /// Finds DHT nodes on the LAN by multicast (decision 0029; IPv6 too, decision 0108) on `interface` (a name or
    /// one of its addresses), so agents on one network meet with no bootstrap node. Returns what runs, for the log.
    public func startLAN(
        interface: String,
        families: LANFamilies,
        onIgnored: (@Sendable (LANAnnouncementGate.Reason, TransportAddress) -> Void)? = nil
    ) async throws -> LANDiscoveryPlan {
        let discovery = try await LANDiscovery.start(
            driver: driver,
            interface: interface,
            families: families,
            onIgnored: onIgnored
        )
        lan.withLock { $0 = discovery }
        return discovery.plan
    }

    /// Counts every record the core refused (forged, stale, oversize, under the wrong key: from a lookup's answers or
    /// a peer's store) as `meshpeer_dht_records_rejected_total{code}` on the node's `/metrics` (the core keeps the
    /// same figures in `KademliaCounters`, which nobody outside the process could see).
    static func count(_ event: KademliaEvent) {
        guard case .recordRejected(_, let rejection) = event else { return }
        Counter(label: "meshpeer_dht_records_rejected_total", dimensions: [("code", rejection.code.rawValue)])
            .increment()
    }

    /// Every node answers STUN Binding requests on its DHT port (rate-limited per source inside the responder), so
    /// agents learn their server-reflexive address from the peers they already talk to.
    public static func stunResponder() -> STUNHandler {
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

    /// Saves the table's verified contacts every 30 s, so a restart rejoins through them. The task is the node's
    /// to cancel at shutdown.
    static func keepSnapshot(of driver: KademliaUDPDriver, in store: SQLiteRecordStore) -> Task<Void, Never> {
        Task.detached {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(30))
                guard !Task.isCancelled else { return }
                await DHTNode.saveSnapshot(of: driver, in: store)
            }
        }
    }

    public var addresses: [String] { driver.localAddresses.compactMap { TransportAddress($0)?.description } }

    public func contactCount() async -> Int {
        (try? await driver.perform { core, _ in core.routingTable.count }) ?? 0
    }

    /// Pings `address` (a peer we heard of outside the DHT, such as a relay's bootstrap node).
    public func ping(_ address: TransportAddress) async {
        _ = try? await driver.perform { core, now in core.ping(address, now: now) }
    }

    /// Joins again through `seeds` (a lone node retries while it has no contacts).
    public func bootstrap(_ seeds: [TransportAddress]) async {
        _ = try? await driver.perform { core, now in core.bootstrap(from: seeds, now: now) }
    }

    /// The agent record stored under `did`, verified by the core (signature, key, freshness), or nil.
    public func agentRecord(did: String) async -> AgentRecord? {
        let event = await driver.query { core, now in core.getAgentRecord(did: did, now: now) }
        guard case .lookupFinished(let result) = event else { return nil }
        return result.agentRecord
    }

    /// Verified provider records for `capability`.
    public func providers(capability: String) async -> [ProviderRecord] {
        let key = ProviderRecord.key(forCapability: capability)
        let event = await driver.query { core, now in core.getProviders(key, now: now) }
        guard case .lookupFinished(let result) = event else { return [] }
        return result.providerRecords
    }

    /// Announces a capability and keeps re-announcing it (the core republishes).
    @discardableResult
    public func provide(capability: String) async -> PublishResult? {
        let event = await driver.query { core, now in core.provide(capability: capability, now: now) }
        guard case .publishFinished(let result) = event else { return nil }
        return result
    }

    /// Runs one publish command (built by the caller against the core) and waits for its result; a record the
    /// core refuses to publish (it does not validate) is an error with the reason.
    public func publish(
        _ start: @escaping @Sendable (KademliaNode, Timestamp) throws -> QueryID
    ) async throws
        -> PublishResult?
    {
        let event = try await driver.query(orThrow: start)
        guard case .publishFinished(let result) = event else { return nil }
        return result
    }

    /// Saves the table's verified contacts (a failure is counted in the store's `health` and logged).
    static func saveSnapshot(of driver: KademliaUDPDriver, in store: SQLiteRecordStore) async {
        if let (contacts, now) = try? await driver.perform({ core, now in (core.routingTable.allContacts, now) }) {
            await store.saveSnapshot(contacts, now: now)
        }
    }

    /// Stops the periodic snapshot, saves one last snapshot of the table, stops the driver and waits for the
    /// store's queued writes, so a restart sees everything this run accepted.
    public func shutdown() async {
        snapshot.withLock { $0?.cancel() }
        if let discovery = lan.withLock({ $0 }) { await discovery.stop() }
        if let store { await DHTNode.saveSnapshot(of: driver, in: store) }
        await driver.shutdown()
        await store?.flush()
    }
}
