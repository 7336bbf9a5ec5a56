#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where and how the local agent API listens.
public struct LocalAPIConfiguration: Sendable, Hashable {
    /// The address to bind. Loopback (`127.0.0.1`, `::1`, `localhost`) unless `allowNonLoopback` is set.
    public var host: String
    /// The TCP port; 0 lets the system pick one (the bound URL is reported through `onBound`).
    public var port: Int
    /// Binding to anything but loopback exposes the agent's messages to the network (the token is all that
    /// guards them, over plain HTTP), so it is refused unless this is true.
    public var allowNonLoopback: Bool
    /// The largest request body accepted; a larger one gets 413 before it is buffered.
    public var maximumBodyBytes: Int
    /// How often the event stream sends a comment when it has nothing else to send, so proxies and clients
    /// see a live connection and a vanished client is noticed.
    public var eventKeepAlive: Duration
    /// Open connections at most; beyond this the server stops accepting until one closes (each event stream
    /// holds one). A connection with no request in progress is closed after `idleTimeout`.
    public var maximumConnections: Int
    public var idleTimeout: Duration

    public init(
        host: String = "127.0.0.1",
        port: Int = 0,
        allowNonLoopback: Bool = false,
        maximumBodyBytes: Int = 256 * 1024,
        eventKeepAlive: Duration = .seconds(15),
        maximumConnections: Int = 256,
        idleTimeout: Duration = .seconds(60)
    ) {
        self.host = host
        self.port = port
        self.allowNonLoopback = allowNonLoopback
        self.maximumBodyBytes = maximumBodyBytes
        self.eventKeepAlive = eventKeepAlive
        self.maximumConnections = maximumConnections
        self.idleTimeout = idleTimeout
    }

    /// Throws `LocalAPIError` for a configuration the server must not start with.
    public func validate() throws(LocalAPIError) {
        guard (0...65_535).contains(port) else {
            throw LocalAPIError("the local API port must be 0...65535, not \(port)")
        }
        guard maximumBodyBytes > 0 else {
            throw LocalAPIError("the local API's maximum body size must be positive, not \(maximumBodyBytes)")
        }
        guard eventKeepAlive > .zero, idleTimeout > .zero else {
            throw LocalAPIError("the event stream's keep-alive interval and the idle timeout must be positive")
        }
        guard maximumConnections > 0 else {
            throw LocalAPIError("the local API's connection limit must be positive, not \(maximumConnections)")
        }
        guard allowNonLoopback || Self.isLoopback(host) else {
            throw LocalAPIError(
                "refusing to serve the local API on \(host): it is not a loopback address, so other machines could "
                    + "reach the agent's messages; bind 127.0.0.1 or ::1, or allow non-loopback binding explicitly"
            )
        }
    }

    /// `localhost`, any 127.0.0.0/8 address, `::1`, and IPv4-mapped loopback. A host name other than `localhost`
    /// is not loopback: it could resolve to anything.
    public static func isLoopback(_ host: String) -> Bool {
        var text = host
        if text.hasPrefix("[") && text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        if text.lowercased() == "localhost" { return true }
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return UInt32(bigEndian: v4.s_addr) >> 24 == 127
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return false }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        if bytes.prefix(15).allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return true }
        let mappedPrefix: [UInt8] = Array(repeating: 0, count: 10) + [0xFF, 0xFF]
        return Array(bytes.prefix(12)) == mappedPrefix && bytes[12] == 127
    }
}

/// A reason the local API cannot start, or a file it relies on is unusable. Says what to do about it.
public struct LocalAPIError: Error, Hashable, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
