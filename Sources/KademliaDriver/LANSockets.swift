import Kademlia
import MeshCore
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The sockets of one `LANDiscovery`: per family a receiver on port 4647 that joined the group on the interface,
/// and for IPv6 a sender of its own bound to the planned source address (see `LANDiscovery` for why).
struct LANSockets {
    let eventLoop: any EventLoop
    let handler: LANAnnouncementHandler.Shared
    private(set) var channels: [any Channel] = []
    private var senders: [(channel: any Channel, group: SocketAddress, datagram: [UInt8])] = []

    init(eventLoop: any EventLoop, handler: LANAnnouncementHandler.Shared) {
        self.eventLoop = eventLoop
        self.handler = handler
    }

    mutating func openIPv4(_ plan: LANDiscoveryPlan.IPv4, devices: [NIONetworkDevice], localID: NodeID) async throws {
        let group = try SocketAddress(ipAddress: LANDiscovery.group, port: LANDiscovery.port)
        let receiver = try await receiver(wildcard: "0.0.0.0")
        guard
            let device = devices.first(where: {
                $0.address.flatMap { TransportAddress($0) }?.ip.bytes == plan.interfaceAddress
            })
        else { throw DriverError("the interface lost its IPv4 address") }
        try await Self.multicast(receiver).joinGroup(group, device: device).get()
        let interface = TransportAddress(ip: plan.interfaceAddress, port: 0)!.socketAddress
        try await receiver.setOption(.ipOption(.ip_multicast_if), value: Self.rawInterface(interface)).get()
        senders.append((receiver, group, LANAnnouncement(dhtPort: plan.dhtPort, nodeID: localID).datagram()))
    }

    mutating func openIPv6(_ plan: LANDiscoveryPlan.IPv6, devices: [NIONetworkDevice], localID: NodeID) async throws {
        let group = try SocketAddress(ipAddress: LANDiscovery.groupIPv6, port: LANDiscovery.port)
        let receiver = try await receiver(wildcard: "::")
        // NIO joins an IPv6 group by the device's interface index; any IPv6 entry of the interface will do.
        guard
            let device = devices.first(where: {
                $0.interfaceIndex == plan.interfaceIndex && $0.address?.protocol == .inet6
            })
        else { throw DriverError("the interface lost its IPv6 addresses") }
        try await Self.multicast(receiver).joinGroup(group, device: device).get()
        let sender = try await DatagramBootstrap(group: eventLoop)
            .channelOption(
                ChannelOptions.Types.SocketOption(level: .ipv6, name: .ipv6_multicast_if),
                value: SocketOptionValue(plan.interfaceIndex)
            )
            .bind(to: TransportAddress(ip: plan.source, port: 0)!.socketAddress).get()
        channels.append(sender)
        senders.append((sender, group, LANAnnouncement(dhtPort: plan.dhtPort, nodeID: localID).datagram()))
    }

    /// Sends every family's announcement now and then every `interval`, on the driver's event loop.
    func announce(every interval: Duration) -> [RepeatedTask] {
        senders.map { sender in
            let (channel, group, datagram) = sender
            return eventLoop.scheduleRepeatedTask(
                initialDelay: .zero,
                delay: .nanoseconds(interval.nanoseconds)
            ) { _ in
                channel.writeAndFlush(
                    AddressedEnvelope(remoteAddress: group, data: channel.allocator.buffer(bytes: datagram)),
                    promise: nil
                )
            }
        }
    }

    func close() async {
        for channel in channels { try? await channel.close() }
    }

    /// A socket on port 4647 of `wildcard` that several nodes on one host can share (`SO_REUSEPORT` delivers each
    /// multicast datagram to all of them); the IPv6 one is IPv6-only so the IPv4 one hears IPv4.
    private mutating func receiver(wildcard: String) async throws -> any Channel {
        let shared = handler
        var bootstrap = DatagramBootstrap(group: eventLoop)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.socket(SocketOptionLevel(SOL_SOCKET), SocketOptionName(SO_REUSEPORT)), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(LANAnnouncementHandler(shared: shared))
                }
            }
        if wildcard == "::" {
            bootstrap = bootstrap.channelOption(
                ChannelOptions.Types.SocketOption(level: .ipv6, name: .ipv6_v6only),
                value: 1
            )
        }
        let channel = try await bootstrap.bind(host: wildcard, port: LANDiscovery.port).get()
        channels.append(channel)
        return channel
    }

    private static func multicast(_ channel: any Channel) throws -> any MulticastChannel {
        guard let multicast = channel as? any MulticastChannel else {
            throw DriverError("this platform's UDP channel cannot join multicast groups")
        }
        return multicast
    }

    /// `IP_MULTICAST_IF` takes the interface's IPv4 address as an `in_addr` (network order).
    static func rawInterface(_ address: SocketAddress) -> SocketOptionValue {
        guard case .v4(let v4) = address else { return 0 }
        return SocketOptionValue(Int32(bitPattern: v4.address.sin_addr.s_addr))
    }
}
