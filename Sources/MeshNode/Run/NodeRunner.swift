import Foundation
import ICE
import ICEDriver
import Kademlia
import KademliaDriver
import Logging
import MeshCore
import MeshDHT
import MeshNodeAPI
import MeshPeer
import NIOCore
import RelayClient
import RelayFallback
import RelayServer
import ServiceLifecycle

/// Composes a node from its data directory: identity, database, DHT, relay pool, the node and its local API, in
/// one `ServiceGroup` that shuts down gracefully on SIGTERM and SIGINT. The caller (the CLI's `main`) owns the
/// event-loop group, logging and metrics bootstrap; nothing here makes its own.
public enum NodeRunner {
    public static func run(
        _ options: NodeOptions,
        group: any EventLoopGroup,
        logger: Logger,
        metricsText: @escaping @Sendable () -> String,
        onReady: @escaping @Sendable (NodeReady) -> Void
    ) async throws {
        let home = options.home
        let keystore = Keystore(home: home)
        guard keystore.hasIdentity else {
            throw ConfigurationError("no identity in \(home): run `meshpeer init` first")
        }
        let identity = try keystore.loadIdentity(passphrase: options.passphrase)
        var configuration = try NodeConfiguration.load(home: home)
        if let listen = options.dhtListen { configuration.dht.listen = listen }
        if let port = options.apiPort { configuration.api.port = port }
        configuration.dht.bootstrap += options.bootstrap
        configuration.relays += options.relays
        if let mode = options.directMode { configuration.direct.mode = mode }
        if let lan = options.lan { configuration.dht.lan = lan }

        let database = try NodeDatabase(path: (home as NSString).appendingPathComponent("node.sqlite"))
        let card = try NodeCard.load(
            path: resolve(configuration.cardFile, in: home),
            defaultName: options.defaultName ?? "agent \(identity.did.suffix(6))",
            did: identity.did
        )
        let policyPath = resolve(configuration.policyFile, in: home)
        let policy = try KnockPolicyFile.load(path: policyPath)

        let seeds = try bootstrapSeeds(configuration, home: home, logger: logger)
        let listen = try configuration.dht.listen.map { try TransportAddress.resolve($0).socketAddress }
        let dht = try await DHTNode.start(
            // A private agent's DHT node signs with a key of its own, made per run: the identity key would tell
            // every DHT peer, and every storer of its sealed records, which DID is behind them (decision 0082).
            signingKey: configuration.exposure == .private ? Ed25519.PrivateKey() : identity.signingKey,
            listen: listen,
            seeds: seeds,
            storePath: (home as NSString).appendingPathComponent("dht.sqlite"),
            group: group
        )
        if let interface = configuration.dht.lan {
            try await startLAN(dht, interface: interface, families: configuration.dht.lanFamily, logger: logger)
        }
        let candidates = try await relayCandidates(configuration, dht: dht, logger: logger)
        let trustRoots = try Self.relayTrustRoots(configuration, home: home)
        let transport = RelayPoolTransport(
            identity: identity,
            candidates: candidates,
            homeCount: configuration.homeRelays,
            group: group,
            makeTLS: { _ in
                // A PEM file of roots is read again for each connection (a replaced file takes effect); the
                // system's roots are read once.
                try trustRoots.map { try RelayClientTLS(trustedCertificates: $0) } ?? RelayClientTLS.system()
            }
        )
        await transport.start()

        let node = try AgentNode(
            identity: identity,
            home: home,
            configuration: configuration,
            database: database,
            dht: dht,
            relays: transport,
            card: card,
            policy: policy.policy,
            policyPath: policyPath,
            policyStamp: policy.stamp,
            direct: directSetup(configuration, seeds: seeds, group: group, logger: logger),
            group: group,
            logger: logger,
            metricsText: metricsText
        )
        let token = try APIToken.load(orCreateIn: home)
        let api = try LocalAPI.makeService(
            control: node,
            token: token,
            tokenDirectory: home,
            configuration: LocalAPIConfiguration(
                host: configuration.api.host,
                port: configuration.api.port,
                allowNonLoopback: configuration.api.allowNonLoopback
            ),
            eventLoopGroup: group,
            logger: logger,
            endpointFileDirectory: home,
            onBound: { url in
                Task {
                    await node.setAPIURL(url)
                    onReady(
                        NodeReady(did: identity.did, api: url, dht: dht.addresses, relays: await transport.homes())
                    )
                }
            }
        )
        let services = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: AgentNodeService(node: node)),
                    .init(service: api),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await services.run()
    }

    /// LAN discovery as `dht.lan` asks; a family that cannot run is logged, and so is the first announcement ignored
    /// for each reason worth a note. An interface that does not exist stops the start, naming it.
    static func startLAN(_ dht: DHTNode, interface: String, families: LANFamilies, logger: Logger) async throws {
        let plan: LANDiscoveryPlan
        do {
            plan = try await dht.startLAN(interface: interface, families: families) { reason, source in
                logger.notice(
                    "ignored a LAN announcement",
                    metadata: ["from": "\(source)", "reason": "\(reason.rawValue)"]
                )
            }
        } catch {
            throw ConfigurationError("dht.lan: \(error)")
        }
        var running: [String] = []
        if plan.ipv4 != nil { running.append("ipv4") }
        if plan.ipv6 != nil { running.append("ipv6") }
        logger.info(
            "LAN discovery",
            metadata: ["interface": "\(plan.interface)", "families": "\(running)", "skipped": "\(plan.skipped)"]
        )
    }

    /// The PEM file `relayTrustRoots` names (relative to the data directory), read once here so that a missing or
    /// unreadable file stops the node at start, naming the key, instead of failing every `wss://` login later.
    static func relayTrustRoots(_ configuration: NodeConfiguration, home: String) throws -> String? {
        guard let name = configuration.relayTrustRoots else { return nil }
        let path = name.hasPrefix("/") ? name : (home as NSString).appendingPathComponent(name)
        do {
            _ = try RelayClientTLS(trustedCertificates: path)
        } catch {
            throw ConfigurationError("relayTrustRoots: \(path) is not a readable PEM file of certificates (\(error))")
        }
        return path
    }

    /// Where ICE binds and whom it asks for server-reflexive candidates (docs/paths.md); nil when direct paths are
    /// off. Loopback is bound only when the DHT listens on loopback (a local mesh): elsewhere the interface
    /// addresses, IPv6 ones too (link-local left out): two agents with global IPv6 addresses need no NAT traversal,
    /// and ICE pairs candidates of one family only, so an IPv4-only peer loses nothing. STUN: config.json's servers, else the first two bootstrap nodes (they answer STUN on their DHT
    /// port).
    static func directSetup(
        _ configuration: NodeConfiguration,
        seeds: [TransportAddress],
        group: any EventLoopGroup,
        logger: Logger
    ) -> DirectSetup? {
        guard configuration.direct.mode == .auto else { return nil }
        let loopbackDHT = configuration.dht.listen.allSatisfy {
            ($0.hasPrefix("127.") || $0.hasPrefix("[::1]") || $0.hasPrefix("localhost"))
        }
        var hosts = configuration.direct.hostAddresses
        if hosts.isEmpty {
            hosts = loopbackDHT ? [IPAddress("127.0.0.1")!] : HostInterfaces.addresses(includeIPv6: true)
        }
        guard !hosts.isEmpty else {
            logger.notice("direct paths off: no interface address to bind")
            return nil
        }
        var stun = configuration.direct.stun.compactMap(TransportAddress.init)
        if stun.isEmpty {
            stun = Array(seeds.prefix(2))
        }
        let loopbackOnly = hosts.allSatisfy { $0.isLoopback }
        return DirectSetup(
            hosts: hosts,
            stun: stun,
            group: group,
            allowLoopbackCandidates: hosts.contains { $0.isLoopback },
            portMapping: configuration.direct.portMapping && !loopbackOnly
                ? PortMapAvailability(group: group, logger: logger) : nil
        )
    }

    static func resolve(_ path: String, in home: String) -> String {
        path.hasPrefix("/") ? path : (home as NSString).appendingPathComponent(path)
    }

    /// config.json's seeds and the bootstrap list (the data directory's `bootstrap-nodes.json`, else the built-in
    /// list when config.json names no seed and the node is not on loopback only), resolved; one that fails is
    /// reported and skipped so a dead name does not stop a start. With no seed at all the node starts alone, as the
    /// first node of a network, and says so: it publishes its record when a peer joins.
    static func bootstrapSeeds(
        _ configuration: NodeConfiguration,
        home: String,
        logger: Logger
    ) throws -> [TransportAddress] {
        var seeds: [TransportAddress] = []
        for text in configuration.dht.bootstrap {
            do { seeds.append(try TransportAddress.resolve(text)) } catch {
                logger.warning("bootstrap address skipped", metadata: ["address": "\(text)", "error": "\(error)"])
            }
        }
        if let (list, origin) = try BootstrapList.standard(
            file: nil,
            home: home,
            explicitSeeds: !configuration.dht.bootstrap.isEmpty,
            listen: configuration.dht.listen
        ) {
            let (resolved, failures) = list.resolved()
            for failure in failures { logger.warning("bootstrap node skipped", metadata: ["reason": "\(failure)"]) }
            logger.info("bootstrap list", metadata: ["source": "\(origin)", "nodes": "\(list.nodes.count)"])
            seeds += resolved
        }
        if seeds.isEmpty {
            logger.notice(
                "no bootstrap nodes: starting alone as the first node of a network; the record is published when a peer joins"
            )
        }
        return seeds
    }

    /// Configured relays, else the relays announced in the DHT (their adverts verified), waiting a little for the
    /// DHT to answer. A node with no relay still runs (and says so in its status) and tries again later.
    static func relayCandidates(
        _ configuration: NodeConfiguration,
        dht: DHTNode,
        logger: Logger
    ) async throws -> [HomeRelaySelector.Candidate] {
        var candidates: [HomeRelaySelector.Candidate] = []
        for text in configuration.relays {
            guard let address = RelayAddress(text) else {
                throw ConfigurationError("relay \(text) is not a ws:// or wss:// address")
            }
            candidates.append(.init(address: address, key: nil))
        }
        if !candidates.isEmpty { return candidates }
        let deadline = ContinuousClock.now + .seconds(5)
        while await dht.contactCount() == 0, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        if await dht.contactCount() == 0, !configuration.dht.bootstrap.isEmpty {
            logger.notice("no bootstrap node answered: running alone; the record is published when a peer joins")
        }
        let now = SystemClock().now()
        // Outside a lab (a node whose DHT listens only on loopback or private addresses), an advert naming a
        // loopback, private or link-local address points at some other machine's network: skipped (decision 0078).
        let lab = AdvertScope.isLab(listen: configuration.dht.listen)
        for record in await dht.providers(capability: RelayAdvert.capability) {
            guard let advert = try? RelayAdvert.fromProviderHints(record.hints, provider: record.provider, now: now)
            else { continue }
            for text in advert.addresses {
                if !lab, let reason = AdvertScope.refusal(url: text) {
                    logger.info("relay advert address skipped", metadata: ["reason": "\(reason)"])
                    continue
                }
                if let address = RelayAddress(text) { candidates.append(.init(address: address, key: advert.relayKey)) }
            }
        }
        if candidates.isEmpty { logger.warning("no relay configured and none announced in the DHT yet") }
        return candidates
    }
}
