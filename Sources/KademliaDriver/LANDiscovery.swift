import Kademlia
import MeshCore
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds DHT nodes on the local network with no list at all: every node announces its DHT port to an
/// administratively scoped IPv4 multicast group, and pings whoever announces.
///
/// The announcement is `Frame(type: 0x0301, payload: DHT port (u16) ‖ node ID (32))`. It is not signed: it only
/// prompts a ping, and the signed reply to that ping is what lets the node into the table. Announcements are
/// rate-limited per source (one ping per `interval`) and the memory of sources is bounded.
public final class LANDiscovery: Sendable {
    public static let group = "239.255.77.77"
    public static let port = 4_647
    public static let frameType: UInt16 = 0x0301
    static let rememberedSources = 256

    let channel: any Channel
    let announcement: [UInt8]
    let task: RepeatedTask

    /// Joins the group on the interface that owns `interfaceAddress` (e.g. the LAN address) and starts announcing.
    public static func start(
        driver: KademliaUDPDriver,
        interfaceAddress: String,
        interval: Duration = .seconds(5)
    ) async throws -> LANDiscovery {
        guard let dhtPort = driver.localAddresses.compactMap(\.port).first,
            let localID = try? await driver.perform({ core, _ in core.localID })
        else { throw DriverError("the DHT driver has no bound socket") }
        let groupAddress = try SocketAddress(ipAddress: group, port: port)
        let seen = LockedValue<[PeerAddress: Timestamp]>([:])
        let channel = try await DatagramBootstrap(group: driver.eventLoop)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.socket(SocketOptionLevel(SOL_SOCKET), SocketOptionName(SO_REUSEPORT)), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        AnnouncementHandler(driver: driver, localID: localID, seen: seen, interval: interval)
                    )
                }
            }
            .bind(host: "0.0.0.0", port: port).get()
        guard let multicast = channel as? any MulticastChannel else {
            try? await channel.close()
            throw DriverError("this platform's UDP channel cannot join multicast groups")
        }
        let interface = try SocketAddress(ipAddress: interfaceAddress, port: 0)
        guard let device = try System.enumerateDevices().first(where: { $0.address?.ipAddress == interface.ipAddress })
        else {
            try? await channel.close()
            throw DriverError("no interface has the address \(interfaceAddress)")
        }
        try await multicast.joinGroup(groupAddress, device: device).get()
        try await channel.setOption(.ipOption(.ip_multicast_if), value: rawInterface(interface)).get()
        var writer = WireWriter(capacity: 34)
        writer.write(UInt16(dhtPort))
        writer.write(raw: localID.bytes)
        let announcement = Frame(type: frameType, payload: writer.bytes).encoded()
        let task = channel.eventLoop.scheduleRepeatedTask(
            initialDelay: TimeAmount.zero,
            delay: TimeAmount.nanoseconds(interval.nanoseconds)
        ) { _ in
            channel.writeAndFlush(
                AddressedEnvelope(remoteAddress: groupAddress, data: channel.allocator.buffer(bytes: announcement)),
                promise: nil
            )
        }
        return LANDiscovery(channel: channel, announcement: announcement, task: task)
    }

    private init(channel: any Channel, announcement: [UInt8], task: RepeatedTask) {
        self.channel = channel
        self.announcement = announcement
        self.task = task
    }

    /// `IP_MULTICAST_IF` takes the interface's IPv4 address as an `in_addr` (network order).
    static func rawInterface(_ address: SocketAddress) -> SocketOptionValue {
        guard case .v4(let v4) = address else { return 0 }
        return SocketOptionValue(Int32(bitPattern: v4.address.sin_addr.s_addr))
    }

    public func stop() async {
        task.cancel()
        try? await channel.close()
    }
}

/// Decodes announcements strictly and pings each new announcer once per interval.
final class AnnouncementHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    let driver: KademliaUDPDriver
    let localID: NodeID
    let seen: LockedValue<[PeerAddress: Timestamp]>
    let interval: Duration

    init(driver: KademliaUDPDriver, localID: NodeID, seen: LockedValue<[PeerAddress: Timestamp]>, interval: Duration) {
        self.driver = driver
        self.localID = localID
        self.seen = seen
        self.interval = interval
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard let frame = try? Frame.decode(Array(envelope.data.readableBytesView), maximumPayload: 34),
            frame.type == LANDiscovery.frameType, frame.payload.count == 34,
            let source = PeerAddress(envelope.remoteAddress)
        else { return }
        var reader = WireReader(frame.payload)
        guard let port = try? reader.readUInt16(), let id = try? NodeID(bytes: reader.readBytes(32)), id != localID,
            let target = PeerAddress(ip: source.ip, port: port)
        else { return }
        let now = SystemClock().now()
        let due = seen.withLock { seen -> Bool in
            if let last = seen[target], now - last < interval { return false }
            if seen.count >= LANDiscovery.rememberedSources { seen.removeAll() }
            seen[target] = now
            return true
        }
        guard due else { return }
        let driver = self.driver
        Task { try? await driver.perform { core, now in core.ping(target, now: now) } }
    }
}
