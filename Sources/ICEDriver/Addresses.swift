import ICE
import NIOCore

/// Conversions between the core's `TransportAddress` and SwiftNIO's `SocketAddress`, the driver's only job
/// with addresses.
extension TransportAddress {
    public init?(_ socketAddress: SocketAddress) {
        guard let text = socketAddress.ipAddress, let ip = IPAddress(text), let port = socketAddress.port,
            let udpPort = UInt16(exactly: port)
        else { return nil }
        self.init(ip: ip, port: udpPort)
    }

    public func socketAddress() throws -> SocketAddress {
        try SocketAddress(ipAddress: ip.description, port: Int(port))
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
