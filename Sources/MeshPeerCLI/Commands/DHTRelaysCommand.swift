import ArgumentParser
import CLISupport
import DHTCLI
import Kademlia
import MeshCore
import RelayFallback
import RelayServer

/// `meshpeer dht relays`: the relays announced in the DHT, each advert checked before it is shown.
///
/// Relays announce themselves as providers of `meshpeer/relay` with their signed advert in the provider record's
/// hints. An agent (or a person choosing a relay) needs the verified addresses and policy, not raw hints, and an
/// advert that is forged, expired or names another key than its provider record's signer is reported as refused
/// rather than listed.
struct DHTRelaysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relays",
        abstract: "Find relays announced in the DHT, with their verified adverts."
    )

    @OptionGroup var home: HomeOptions
    @OptionGroup var dht: DHTOptions
    @Flag(
        name: .long,
        help: "A lab network: also list relays that advertise loopback, private or link-local addresses."
    )
    var lab = false

    func run() throws {
        try CLIRunner.run {
            try DHTSupport.block {
                let session = try await DHTSession.open(home: home, dht: dht.asClient, defaultListen: "0.0.0.0:0")
                try await session.waitForContacts()
                session.progress("looking up relays")
                let event = await session.driver.query { core, now in
                    core.getProviders(RelayAdvert.providerKey, now: now)
                }
                var line = DHTSupport.describe(event)
                line.removeValue(forKey: "providers")
                let (relays, refused) = Self.adverts(in: event, now: SystemClock().now(), lab: lab)
                line["relays"] = relays
                line["refused"] = refused
                line["found"] = !relays.isEmpty
                session.report(line)
                await session.close()
            }
        }
    }

    /// Verified adverts, and the refused ones with the reason. Outside a lab an advert's loopback, private and
    /// link-local addresses are dropped (other machines cannot reach them), and an advert left with none is refused.
    static func adverts(in event: KademliaEvent, now: Timestamp, lab: Bool) -> ([[String: Any]], [[String: Any]]) {
        guard case .lookupFinished(let result) = event else { return ([], []) }
        var relays: [[String: Any]] = []
        var refused: [[String: Any]] = []
        for record in result.providerRecords {
            do {
                let advert = try RelayAdvert.fromProviderHints(record.hints, provider: record.provider, now: now)
                let reasons = lab ? [] : advert.addresses.compactMap { AdvertScope.refusal(url: $0) }
                let usable = lab ? advert.addresses : advert.addresses.filter { AdvertScope.refusal(url: $0) == nil }
                guard !usable.isEmpty else {
                    refused.append([
                        "provider": record.providerDID, "relay": advert.relayKey.did,
                        "reason": "advertises no public address: \(reasons.joined(separator: "; ")) (--lab lists it)",
                    ])
                    continue
                }
                relays.append([
                    "relay": advert.relayKey.did, "addresses": usable,
                    "maximum_connections": advert.maximumConnections, "storage_bytes": advert.storageBytes,
                    "maximum_envelope_bytes": advert.maximumEnvelopeBytes, "ttl_seconds": advert.ttlSeconds,
                    "mailbox_maximum_count": advert.mailboxMaximumCount,
                    "mailbox_maximum_bytes": advert.mailboxMaximumBytes, "expires_at": advert.expiresAt,
                ])
            } catch {
                refused.append(["provider": record.providerDID, "reason": "no valid relay advert: \(error)"])
            }
        }
        return (relays, refused)
    }
}
