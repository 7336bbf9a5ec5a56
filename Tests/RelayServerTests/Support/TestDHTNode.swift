import Kademlia
import KademliaDriver
import MeshCore
import NIOCore
import NIOPosix
import RelayFallback

/// An in-process DHT node on 127.0.0.1 for a test (an agent looking up or publishing records).
final class TestDHTNode: Sendable {
    let driver: KademliaUDPDriver
    let group: MultiThreadedEventLoopGroup

    init(identity: AgentIdentity, bootstrap port: Int, readOnly: Bool) async throws {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var config = KademliaConfig()
        config.readOnly = readOnly
        config.lookupTimeout = .seconds(5)
        let key = identity.signingKey
        let settings = config
        driver = try await KademliaUDPDriver.start(
            listen: [try SocketAddress(ipAddress: "127.0.0.1", port: 0)],
            group: group,
            makeCore: { now in KademliaNode(signingKey: key, config: settings, random: SystemRandom(), now: now) }
        )
        let seed = try TransportAddress.resolve("127.0.0.1:\(port)")
        try await driver.perform { core, now in core.bootstrap(from: [seed], now: now) }
        try await eventually("a DHT contact") {
            try await self.driver.perform { core, _ in core.routingTable.count } > 0
        }
    }

    /// Valid relay adverts found with an ordinary GET_PROVIDERS for the relay capability.
    func relayAdverts() async -> [RelayAdvert] {
        let event = await driver.query { core, now in core.getProviders(RelayAdvert.providerKey, now: now) }
        guard case .lookupFinished(let result) = event else { return [] }
        let now = SystemClock().now()
        return result.providerRecords.compactMap {
            try? RelayAdvert.fromProviderHints($0.hints, provider: $0.provider, now: now)
        }
    }

    func agentRecord(did: String) async -> AgentRecord? {
        let event = await driver.query { core, now in core.getAgentRecord(did: did, now: now) }
        guard case .lookupFinished(let result) = event else { return nil }
        return result.agentRecord
    }

    /// Publishes this node's agent record naming `homeRelays`; returns how many nodes took it.
    func publish(homeRelays: [String]) async -> Int {
        let event = try? await driver.query(orThrow: { core, now in
            try core.publishAgentRecord(agentCard: Array("{}".utf8), homeRelays: homeRelays, now: now)
        })
        guard case .publishFinished(let result)? = event else { return 0 }
        return result.accepted
    }

    func close() async {
        await driver.shutdown()
        try? await group.shutdownGracefully()
    }
}
