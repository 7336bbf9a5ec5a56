import Foundation
import Kademlia
import KademliaDriver
import MeshCore

/// `dht serve --lan`: starts LAN discovery and reports what runs (one `lan-discovery` line per family), what was
/// skipped and why (a note on stderr), and the first announcement ignored for each reason worth a note.
public enum DHTLANDiscovery {
    public static func start(_ session: DHTSession, interface: String, families: String) async throws -> LANDiscovery {
        guard let families = LANFamilies(rawValue: families) else {
            throw DriverError("--lan-family must be both, ipv4 or ipv6, not \(families)")
        }
        let discovery = try await LANDiscovery.start(
            driver: session.driver,
            interface: interface,
            families: families,
            onIgnored: { reason, source in
                FileHandle.standardError.write(
                    Data("meshpeer: note: ignored a LAN announcement from \(source) (\(reason.rawValue))\n".utf8)
                )
            }
        )
        let plan = discovery.plan
        if let v4 = plan.ipv4 {
            session.report([
                "event": "lan-discovery", "family": "ipv4", "group": LANDiscovery.group, "interface": interface,
                "device": plan.interface, "source": address(v4.interfaceAddress), "dht_port": Int(v4.dhtPort),
            ])
        }
        if let v6 = plan.ipv6 {
            session.report([
                "event": "lan-discovery", "family": "ipv6", "group": LANDiscovery.groupIPv6, "interface": interface,
                "device": plan.interface, "source": address(v6.source), "dht_port": Int(v6.dhtPort),
            ])
        }
        for reason in plan.skipped {
            FileHandle.standardError.write(Data("meshpeer: note: LAN discovery skips \(reason)\n".utf8))
        }
        return discovery
    }

    /// The IP alone, as users write it.
    public static func address(_ ip: [UInt8]) -> String { IPAddress(bytes: ip)?.description ?? "?" }
}
