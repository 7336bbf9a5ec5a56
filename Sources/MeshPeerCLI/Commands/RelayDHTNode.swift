import CLISupport
import DHTCLI
import Foundation
import Kademlia
import KademliaDriver
import Logging
import MeshCore
import NIOCore
import RelayFallback
import RelayServer

/// The DHT bootstrap node inside `meshpeer relay`: a `DHTSession` (Kademlia and STUN on UDP, as
/// `meshpeer dht serve` runs it) keyed by the relay's own identity, which publishes the relay's signed
/// advert as a provider record under `RelayAdvert.providerKey` and keeps it fresh.
final class RelayDHTNode: Sendable {
    let session: DHTSession
    private let keeper: Task<Void, Never>

    static func start(
        _ settings: RelayDHTConfiguration,
        identity: AgentIdentity,
        relay: RelayServerConfiguration,
        relayPort: Int,
        group: any EventLoopGroup,
        logger: Logger
    ) async throws -> RelayDHTNode {
        let addresses = try advertisedAddresses(settings, relay: relay, relayPort: relayPort)
        var seeds = try settings.bootstrap.map { try TransportAddress.resolve($0) }
        if let (list, _) = try BootstrapList.standard(
            file: settings.bootstrapFile,
            home: relay.dataDirectory,
            explicitSeeds: !settings.bootstrap.isEmpty,
            listen: settings.listen
        ) {
            let (resolved, failures) = list.resolved()
            for failure in failures { logger.warning("bootstrap node skipped", metadata: ["reason": "\(failure)"]) }
            seeds += resolved
        }
        if seeds.isEmpty {
            logger.notice(
                "no DHT bootstrap nodes: starting alone as the first node of a network; the advert is published when a peer joins"
            )
        }
        var config = KademliaConfig()
        config.recordTTL = .seconds(settings.recordTTLSeconds)
        config.republishInterval = .seconds(max(1, settings.recordTTLSeconds / 3))
        config.expirySweepInterval = .seconds(max(1, min(30, settings.recordTTLSeconds / 4)))
        let session = try await DHTSession.start(
            key: identity.signingKey,
            listen: try settings.listen.map { try TransportAddress.resolve($0).socketAddress },
            seeds: seeds,
            storePath: (relay.dataDirectory as NSString).appendingPathComponent("dht.sqlite"),
            config: config,
            json: true,
            events: false,
            group: group
        )
        for skipped in session.driver.unavailableListen {
            logger.notice(
                "no IPv6 on this host: the DHT node listens on IPv4 only",
                metadata: ["skipped": "\(skipped)"]
            )
        }
        // Sign once now, so a bad address list fails the start rather than the background task.
        _ = try advert(identity: identity, addresses: addresses, limits: relay.limits, lifetime: 60)
        // The advert's first "advert-published" line must come after the relay's "listening" line, which tools
        // read as its first line: with no peers, a publish finishes at once, and it used to be printed first (a
        // relay test failed on it in CI, December 6). So the keeper waits for `listeningAnnounced()`.
        let (gate, open) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let keeper = Task {
            for await _ in gate { break }  // ends at the gate's opening, or at cancellation
            await keepPublished(session: session, identity: identity, addresses: addresses, relay: relay, settings)
        }
        return RelayDHTNode(session: session, keeper: keeper, gate: open)
    }

    private init(session: DHTSession, keeper: Task<Void, Never>, gate: AsyncStream<Void>.Continuation) {
        self.session = session
        self.keeper = keeper
        self.gate = gate
    }

    private let gate: AsyncStream<Void>.Continuation

    /// Lets the advert keeper start, once the relay has printed its "listening" line.
    func listeningAnnounced() {
        gate.yield()
        gate.finish()
    }

    var port: Int? { session.driver.localAddresses.first?.port }

    func close() async {
        keeper.cancel()
        gate.finish()
        await session.close()
    }

    /// `dht.advertise`, or `ws://HOST:PORT/relay` from the relay's own listen address when it names a host. Outside
    /// a lab every address must be one other machines can reach (decision 0078): an advert goes to the whole DHT.
    static func advertisedAddresses(
        _ settings: RelayDHTConfiguration,
        relay: RelayServerConfiguration,
        relayPort: Int
    ) throws -> [String] {
        let labHint =
            "advertise the URL clients should use (--advertise wss://relay.example.org/relay, or dht.advertise in "
            + "the config), or pass --lab (config \"lab\": true) for a test network on one machine or a private network"
        if !settings.advertise.isEmpty {
            for url in settings.advertise {
                guard let reason = AdvertScope.refusal(url: url) else { continue }
                if relay.lab, AdvertScope.of(url: url) != nil { continue }
                throw CLIError("dht.advertise (--advertise): \(reason); \(labHint)")
            }
            return settings.advertise
        }
        let host = try relay.hostAndPort().host
        guard !["", "0.0.0.0", "::"].contains(host) else {
            throw CLIError(
                "the relay listens on \(host), so it cannot tell clients its address: set --advertise "
                    + "wss://relay.example.org/relay (or dht.advertise in the config) to the URL clients should use"
            )
        }
        let derived = RelayAddress(secure: relay.tls != nil, host: host, port: relayPort).description
        if !relay.lab, let reason = AdvertScope.refusal(url: derived) {
            throw CLIError("without dht.advertise the relay would advertise its listen address: \(reason); \(labHint)")
        }
        return [derived]
    }

    static func advert(
        identity: AgentIdentity,
        addresses: [String],
        limits: RelayLimits,
        lifetime: Int
    ) throws -> [UInt8] {
        var advert = RelayAdvert(
            relayKey: identity.publicKey,
            addresses: addresses,
            limits: limits,
            issuedAt: SystemClock().now().secondsSinceEpoch,
            lifetimeSeconds: Int64(lifetime)
        )
        advert.sign(with: identity)
        try advert.validate(now: SystemClock().now())
        return try advert.encodedForDHT()
    }

    /// Carries out `RelayAdvertSchedule`: signs and publishes when it says so, and sleeps until it next wants a
    /// look (no decision is made here).
    static func keepPublished(
        session: DHTSession,
        identity: AgentIdentity,
        addresses: [String],
        relay: RelayServerConfiguration,
        _ settings: RelayDHTConfiguration
    ) async {
        let clock = SystemClock()
        var schedule = RelayAdvertSchedule(advertLifetime: .seconds(settings.advertLifetimeSeconds))
        while !Task.isCancelled {
            let peers = (try? await session.driver.perform { core, _ in core.routingTable.count }) ?? 0
            if schedule.isDue(now: clock.now(), peers: peers),
                let hints = try? advert(
                    identity: identity,
                    addresses: addresses,
                    limits: relay.limits,
                    lifetime: settings.advertLifetimeSeconds
                )
            {
                schedule.published(at: clock.now())
                let event = await session.driver.query { core, now in
                    core.provide(capability: RelayAdvert.capability, hints: hints, now: now)
                }
                if case .publishFinished(let result) = event {
                    schedule.publishFinished(accepted: result.accepted)
                    RelayCommand.printJSONLine([
                        "event": "advert-published", "accepted": result.accepted, "addresses": addresses,
                    ])
                }
            }
            let now = clock.now()
            try? await Task.sleep(for: max(schedule.nextCheck(now: now) - now, .milliseconds(250)))
        }
    }
}
