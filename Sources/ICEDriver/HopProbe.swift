import ICE

#if canImport(Glibc)
import Glibc
import MeshCore
#endif

/// Is our public address more than one router hop away? Then a second NAT sits between us and it (double NAT,
/// or carrier-grade NAT behind a home router). Method: send one UDP datagram to port 9 of the public address
/// with TTL 64 and with TTL 1 from a connected socket. A NAT answers a datagram to its own address with ICMP
/// port-unreachable, which Linux reports as ECONNREFUSED. If the far probe is refused but the TTL-1 probe is
/// not, the first router was not the owner of the public address. Blocking: run it off the event loops.
/// IPv4 only; nil when it cannot tell (no ICMP at all, e.g. a router that silently drops such traffic).
enum HopProbe {
    static func publicAddressIsBehindAnotherRouter(_ ip: IPAddress) -> Bool? {
        guard ip.isIPv4, refused(ip, ttl: 64) else { return nil }
        return !refused(ip, ttl: 1)
    }

    /// True when the kernel reported ICMP port-unreachable for a datagram sent with `ttl`: 3 tries, 200 ms each.
    static func refused(_ ip: IPAddress, ttl: Int32) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var hops = ttl
        guard setsockopt(fd, Int32(IPPROTO_IP), IP_TTL, &hops, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            return false
        }
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(9).bigEndian
        withUnsafeMutableBytes(of: &address.sin_addr) { $0.copyBytes(from: ip.bytes) }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { return false }
        var byte: UInt8 = 0
        for _ in 0..<3 {
            if send(fd, &byte, 1, 0) < 0, errno == ECONNREFUSED { return true }
            if recv(fd, &byte, 1, 0) < 0, errno == ECONNREFUSED { return true }
        }
        return false
    }
}
