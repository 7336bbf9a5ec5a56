import ICE
import MeshCore
import NIOCore

/// Conversions between the core's `TransportAddress` and SwiftNIO's `SocketAddress`: the drivers' (ICE, the DHT,
/// port mapping) only job with addresses, in one place.
extension TransportAddress {
    /// The core's view of a NIO socket address (nil for Unix-domain sockets). An IPv4-mapped IPv6 address
    /// (::ffff:a.b.c.d, what a dual-stack socket reports for an IPv4 peer) is the IPv4 peer it stands for.
    public init?(_ address: SocketAddress) {
        let port = UInt16(clamping: address.port ?? 0)
        switch address {
        case .v4(let v4):
            self.init(ip: withUnsafeBytes(of: v4.address.sin_addr) { Array($0) }, port: port)
        case .v6(let v6):
            let ip = withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
            if ip.prefix(10).allSatisfy({ $0 == 0 }) && ip[10] == 0xFF && ip[11] == 0xFF {
                self.init(ip: Array(ip.suffix(4)), port: port)
            } else {
                self.init(ip: ip, port: port)
            }
        case .unixDomainSocket:
            return nil
        }
    }

    public var socketAddress: SocketAddress {
        // A 4- or 16-byte packed address always converts.
        try! SocketAddress(packedIPAddress: ByteBuffer(bytes: ip.bytes), port: Int(port))
    }
}

/// Host addresses of this machine's interfaces (RFC 8445 §5.1.1.1): up, non-link-local, IPv4 and IPv6;
/// loopback only when asked (tests).
public enum HostInterfaces {
    public static func addresses(includeLoopback: Bool = false, includeIPv6: Bool = true) -> [IPAddress] {
        let devices = (try? System.enumerateDevices()) ?? []
        var seen = Set<IPAddress>()
        var result: [IPAddress] = []
        for device in devices {
            guard let address = device.address, let text = address.ipAddress, let ip = IPAddress(text) else { continue }
            if ip.isLinkLocal || (ip.isLoopback && !includeLoopback) || (!ip.isIPv4 && !includeIPv6) { continue }
            if seen.insert(ip).inserted { result.append(ip) }
        }
        return result
    }
}
