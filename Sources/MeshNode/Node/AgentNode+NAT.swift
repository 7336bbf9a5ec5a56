import ICE
import ICEDriver
import Kademlia
import MeshCore
import MeshPeer

/// The node's NAT class (decision 0101): `NATWatch` decides when and whom to ask; this runs `NATCheck` (the probe
/// `meshpeer nat-check` runs) from a socket of its own on the DHT's event loop, against the STUN servers the node
/// already knows (config's `direct.stun`, else its bootstrap nodes) and its DHT contacts, which answer STUN on their
/// DHT port. `GET /v1/status` and the dashboard show the result.
extension AgentNode {
    /// DHT contacts considered as STUN servers per probe (the watch keeps at most four).
    static let natCandidateContacts = 32

    /// Runs until cancelled (a task of the node's service): a probe whenever the watch says one is due.
    func runNATWatch() async {
        while !Task.isCancelled {
            await checkNATIfDue()
            let wait = max(Duration.seconds(1), min(natWatch.nextCheck - now, .seconds(30)))
            try? await Task.sleep(for: wait)
        }
    }

    func checkNATIfDue() async {
        let candidates = await natCandidates()
        guard let servers = natWatch.begin(now: now, candidates: candidates) else { return }
        do {
            // Bounded by the probe itself (each request gives up after 2.5 s; about 6 s in all, plus the hop probe).
            let report = try await NATCheck.run(
                servers: servers,
                bind: TransportAddress(ip: IPAddress("0.0.0.0")!, port: 0),
                group: dht.driver.eventLoop
            )
            natWatch.finish(report, now: now)
            logger.info(
                "NAT classified",
                metadata: [
                    "class": "\(report.natClass.rawValue)", "certainty": "\(report.certainty.rawValue)",
                    "servers": "\(servers.count)",
                ]
            )
        } catch {
            natWatch.failed(now: now)
            logger.notice("NAT probe could not run", metadata: ["error": "\(error)"])
        }
    }

    /// Configured or bootstrap STUN servers first, then DHT contacts.
    func natCandidates() async -> [TransportAddress] {
        let limit = AgentNode.natCandidateContacts
        let contacts =
            (try? await dht.driver.perform { core, _ in
                Array(core.routingTable.allContacts.prefix(limit)).map(\.address)
            }) ?? []
        return (direct?.stun ?? []) + contacts
    }

    /// What `GET /v1/status` reports.
    var natStatus: NATStatus? { natWatch.status(format: APITime.format) }
}
