import Kademlia
import NIOCore

extension PeerAddress {
    /// The core's view of a NIO socket address (nil for Unix-domain sockets).
    public init?(_ address: SocketAddress) {
        switch address {
        case .v4(let v4):
            let ip = withUnsafeBytes(of: v4.address.sin_addr) { Array($0) }
            self.init(ip: ip, port: UInt16(clamping: address.port ?? 0))
        case .v6(let v6):
            let ip = withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
            // An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is the IPv4 peer it stands for.
            if ip.prefix(10).allSatisfy({ $0 == 0 }) && ip[10] == 0xFF && ip[11] == 0xFF {
                self.init(ip: Array(ip.suffix(4)), port: UInt16(clamping: address.port ?? 0))
            } else {
                self.init(ip: ip, port: UInt16(clamping: address.port ?? 0))
            }
        case .unixDomainSocket:
            return nil
        }
    }

    public var socketAddress: SocketAddress {
        // A 4- or 16-byte packed address always converts.
        try! SocketAddress(packedIPAddress: ByteBuffer(bytes: ip), port: Int(port))
    }

    /// Parses `host:port` or `[v6]:port`, resolving a host name (this blocks: call it off the event loop).
    public static func resolve(_ text: String) throws -> PeerAddress {
        let (host, port) = try split(text)
        let resolved = try SocketAddress.makeAddressResolvingHost(host, port: port)
        guard let address = PeerAddress(resolved) else { throw DriverError("\(text) is not an IP endpoint") }
        return address
    }

    static func split(_ text: String) throws -> (String, Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65_535).contains(port)
        else { throw DriverError("\(text) is not host:port") }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw DriverError("\(text) has no host") }
        return (host, port)
    }
}

/// A driver failure: bad configuration, a socket that would not bind, a file that would not parse.
public struct DriverError: Error, CustomStringConvertible, Sendable {
    public let description: String

    public init(_ description: String) { self.description = description }
}
