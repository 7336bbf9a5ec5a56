import Kademlia
import MeshCore
import NIOCore
import NIOPosix

/// Finds DHT nodes on the local network with no list at all: every node announces its DHT port to a multicast
/// group on its LAN interface, and pings whoever announces (decisions 0029 and 0108).
///
/// Both families by default, each where the interface and the DHT node have it (`LANDiscoveryPlan`):
/// - IPv4: the administratively scoped group 239.255.77.77:4647, sent from the interface's address.
/// - IPv6: the link-local-scope, non-permanent group ff12::cd50:1227 port 4647, joined on the interface by index and
///   sent from the interface's global or unique-local address (a socket of its own bound to it), because the
///   kernel would pick the link-local source for a link-scope group, and a link-local address is useless in the DHT.
///
/// The announcement (`LANAnnouncement`) is the same on both. What to do with one received is decided by one
/// `LANAnnouncementGate` shared by both families: strict decoding, one ping per announcer per interval, a bounded
/// memory of announcers, link-local sources refused.
public final class LANDiscovery: Sendable {
    public static let group = "239.255.77.77"
    public static let groupIPv6 = "ff12::cd50:1227"
    public static let port = 4_647
    public static let frameType = LANAnnouncement.frameType

    /// What runs, from which addresses, and what was skipped and why.
    public let plan: LANDiscoveryPlan
    let channels: [any Channel]
    let tasks: [RepeatedTask]

    /// Joins the group(s) on the interface named by `interface` and starts announcing.
    ///
    /// - Parameters:
    ///   - interface: an address of the interface (IPv4 or IPv6, `fe80::1%eth0` too) or its name (`eth0`).
    ///   - families: `.both` runs what it can and reports the rest in `plan.skipped`; one family must run or
    ///     this throws.
    ///   - onIgnored: called the first time an announcement is ignored for a reason worth a note (malformed,
    ///     link-local or unusable source), with that reason and the source.
    public static func start(
        driver: KademliaUDPDriver,
        interface: String,
        families: LANFamilies = .both,
        interval: Duration = .seconds(5),
        onIgnored: (@Sendable (LANAnnouncementGate.Reason, TransportAddress) -> Void)? = nil
    ) async throws -> LANDiscovery {
        guard let localID = try? await driver.perform({ core, _ in core.localID }) else {
            throw DriverError("the DHT driver has no bound socket")
        }
        let devices = try System.enumerateDevices()
        let (given, lanInterface) = try LANInterfaces.find(interface, devices: devices)
        let plan = try LANDiscoveryPlan.make(
            families: families,
            interface: lanInterface,
            given: given,
            listening: driver.localAddresses.compactMap { TransportAddress($0) }
        )
        let handler = LANAnnouncementHandler.Shared(
            driver: driver,
            gate: LANAnnouncementGate(localID: localID, interval: interval),
            onIgnored: onIgnored
        )
        var sockets = LANSockets(eventLoop: driver.eventLoop, handler: handler)
        do {
            if let v4 = plan.ipv4 {
                try await sockets.openIPv4(v4, devices: devices, localID: localID)
            }
            if let v6 = plan.ipv6 {
                try await sockets.openIPv6(v6, devices: devices, localID: localID)
            }
        } catch {
            await sockets.close()
            throw DriverError("LAN discovery on \(plan.interface): \(error)")
        }
        let tasks = sockets.announce(every: interval)
        return LANDiscovery(plan: plan, channels: sockets.channels, tasks: tasks)
    }

    private init(plan: LANDiscoveryPlan, channels: [any Channel], tasks: [RepeatedTask]) {
        self.plan = plan
        self.channels = channels
        self.tasks = tasks
    }

    public func stop() async {
        for task in tasks { task.cancel() }
        for channel in channels { try? await channel.close() }
    }
}
