/// What the relay's `listen` setting binds (issue 16, decision 0099): both address families wherever the host has
/// them, without breaking a host that has only IPv4.
///
/// - `localhost:PORT` (the default, `localhost:7400`): 127.0.0.1 and ::1 on the same port, two sockets. Without a
///   usable ::1 the relay carries on on 127.0.0.1 and logs a note.
/// - `[::]:PORT`: one IPv6 socket with `IPV6_V6ONLY` off, so it takes IPv4 clients too (they show as their IPv4
///   address: `ClientAddress.peer`). On a host without IPv6 the relay binds `0.0.0.0:PORT` instead and logs a note.
/// - Anything else (`0.0.0.0:7400`, `[::1]:7400`, `relay.example.org:443`): exactly that one socket, as before.
public struct RelayListener: Sendable, Equatable {
    public enum Missing: Sendable, Equatable {
        /// The relay cannot run without this socket.
        case fatal
        /// An IPv6 socket that a host without IPv6 goes without (a logged note).
        case skip
        /// An IPv6 wildcard replaced by this IPv4 host on a host without IPv6 (a logged note).
        case fallBack(to: String)
    }

    public var host: String
    /// IPv6 wildcard only: clear `IPV6_V6ONLY` so the one socket also takes IPv4 (a dual-stack socket).
    public var dualStack: Bool
    /// What happens when the host has no IPv6 (`DualStack.meansNoIPv6`); any other bind error is always fatal.
    public var whenMissing: Missing

    public init(host: String, dualStack: Bool = false, whenMissing: Missing = .fatal) {
        self.host = host
        self.dualStack = dualStack
        self.whenMissing = whenMissing
    }
}

extension RelayServerConfiguration {
    /// The default `listen`: loopback on both families (a TLS proxy in front, or `--listen [::]:7400`, opens it up).
    public static let defaultListen = "localhost:7400"

    /// The sockets `listen` asks for, in bind order, and the port they share (0: the first picks one, the rest
    /// take the same).
    public func listeners() throws -> (listeners: [RelayListener], port: Int) {
        let (host, port) = try hostAndPort()
        switch host.lowercased() {
        case "localhost":
            return ([RelayListener(host: "127.0.0.1"), RelayListener(host: "::1", whenMissing: .skip)], port)
        case "::":
            return ([RelayListener(host: "::", dualStack: true, whenMissing: .fallBack(to: "0.0.0.0"))], port)
        default:
            return ([RelayListener(host: host)], port)
        }
    }
}
