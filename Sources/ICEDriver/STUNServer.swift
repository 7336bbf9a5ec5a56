import ICE
import MeshCore
import NIOCore
import NIOPosix

/// A standalone STUN Binding server over `STUNResponder` (the lab's internet host, `meshpeer stun-server`).
/// With an alternate address and port it binds the four RFC 5780 sockets, so clients can measure filtering.
public final class STUNServer: Sendable {
    public let sockets: [UDPSocket]

    /// Binds (A1,P1) and, when given, (A1,P2), (A2,P1), (A2,P2).
    public static func start(
        primary: TransportAddress,
        alternateIP: IPAddress? = nil,
        alternatePort: UInt16? = nil,
        group: EventLoopGroup
    ) async throws -> STUNServer {
        var addresses = [primary]
        if let ip = alternateIP, let port = alternatePort {
            addresses += [
                TransportAddress(ip: primary.ip, port: port), TransportAddress(ip: ip, port: primary.port),
                TransportAddress(ip: ip, port: port),
            ]
        }
        let table = LockedValue<[UDPSocket]>([])
        // Index i (bit 0 = port changed, bit 1 = address changed) answers from i ^ mask.
        let responders = LockedValue(
            addresses.indices.map { index in
                STUNResponder(otherAddress: addresses.count == 4 ? addresses[index ^ 3] : nil)
            }
        )
        var sockets: [UDPSocket] = []
        for (index, address) in addresses.enumerated() {
            let socket = try await UDPSocket.bind(address, group: group) { bytes, from, _ in
                let now = SystemClock().now()
                guard let reply = responders.withLock({ $0[index].respond(to: bytes, from: from, now: now) }) else {
                    return
                }
                let mask: Int
                switch reply.origin {
                case .same: mask = 0
                case .changedPort: mask = 1
                case .changedAddress: mask = 2
                case .changedAddressAndPort: mask = 3
                }
                let all = table.withLock { $0 }
                guard index ^ mask < all.count else { return }
                all[index ^ mask].send(reply.bytes, to: from)
            }
            sockets.append(socket)
        }
        let bound = sockets
        table.withLock { $0 = bound }
        return STUNServer(sockets: sockets)
    }

    init(sockets: [UDPSocket]) { self.sockets = sockets }

    public func close() async {
        for socket in sockets { await socket.close() }
    }
}
