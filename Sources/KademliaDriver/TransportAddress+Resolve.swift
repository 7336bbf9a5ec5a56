import ICEDriver
import Kademlia
import MeshCore
import NIOCore

extension TransportAddress {
    // Address conversions to and from NIO live in ICEDriver (Addresses.swift); only name resolution is the DHT's.
    /// Parses `host:port` or `[v6]:port`, resolving a host name (this blocks: call it off the event loop).
    public static func resolve(_ text: String) throws -> TransportAddress {
        let (host, port) = try split(text)
        let resolved = try SocketAddress.makeAddressResolvingHost(host, port: port)
        guard let address = TransportAddress(resolved) else { throw DriverError("\(text) is not an IP endpoint") }
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
