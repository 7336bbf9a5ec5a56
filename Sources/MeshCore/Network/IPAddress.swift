#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 address as raw network-order bytes (4 or 16). A value type of our own keeps the sans-IO
/// core free of socket types; the driver converts to and from SwiftNIO's `SocketAddress`.
public struct IPAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// 4 bytes for IPv4, 16 for IPv6; the initialiser enforces it.
    public let bytes: [UInt8]

    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// Parses dotted IPv4 or textual IPv6 (inet_pton: pure parsing, no IO).
    public init?(_ text: String) {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            self.bytes = withUnsafeBytes(of: &v4) { Array($0) }
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            self.bytes = withUnsafeBytes(of: &v6) { Array($0) }
            return
        }
        return nil
    }

    public var isIPv4: Bool { bytes.count == 4 }

    /// 127/8 and ::1.
    public var isLoopback: Bool {
        isIPv4 ? bytes[0] == 127 : bytes == [UInt8](repeating: 0, count: 15) + [1]
    }

    /// fe80::/10, which needs a scope and is not useful across hosts.
    public var isLinkLocal: Bool {
        isIPv4 ? (bytes[0] == 169 && bytes[1] == 254) : (bytes[0] == 0xFE && bytes[1] & 0xC0 == 0x80)
    }

    public var description: String {
        if isIPv4 { return bytes.map(String.init).joined(separator: ".") }
        var buffer = [CChar](repeating: 0, count: 64)
        var raw = in6_addr()
        withUnsafeMutableBytes(of: &raw) { $0.copyBytes(from: bytes) }
        guard inet_ntop(AF_INET6, &raw, &buffer, socklen_t(buffer.count)) != nil else { return "?" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }
}

/// An IP address and a UDP port: what STUN calls a transport address. The one type for IP endpoints everywhere:
/// the DHT, ICE, the direct path, port mapping (decision 0112). Drivers convert to and from SwiftNIO's
/// `SocketAddress` at their edges; a relay's URL is a `RelayAddress`, which names a host, not an endpoint.
public struct TransportAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var ip: IPAddress
    public var port: UInt16

    public init(ip: IPAddress, port: UInt16) {
        self.ip = ip
        self.port = port
    }

    /// `1.2.3.4:5` or `[::1]:5`.
    public init?(_ text: String) {
        let hostPart: Substring
        let portPart: Substring
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            hostPart = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            portPart = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            hostPart = text[..<colon]
            portPart = text[text.index(after: colon)...]
        }
        guard let ip = IPAddress(String(hostPart)), let port = UInt16(portPart) else { return nil }
        self.init(ip: ip, port: port)
    }

    /// From raw address bytes (4 or 16, network order); nil for any other length.
    public init?(ip bytes: [UInt8], port: UInt16) {
        guard let ip = IPAddress(bytes: bytes) else { return nil }
        self.init(ip: ip, port: port)
    }

    public var isIPv4: Bool { ip.isIPv4 }

    /// 127/8 and ::1.
    public var isLoopback: Bool { ip.isLoopback }

    public var description: String { ip.isIPv4 ? "\(ip):\(port)" : "[\(ip)]:\(port)" }

    public static func < (lhs: TransportAddress, rhs: TransportAddress) -> Bool {
        (lhs.ip, lhs.port) < (rhs.ip, rhs.port)
    }
}
