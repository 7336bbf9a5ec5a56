/// What a PROXY protocol header (v2: HAProxy's `send-proxy-v2`; v1: nginx stream `proxy_protocol on`) says about
/// the connection it starts: a TCP-mode proxy cannot add `X-Forwarded-For`, so it writes this block before the
/// client's first byte. Decision 0103.
public enum ProxyHeader: Equatable, Sendable {
    /// Command LOCAL: the proxy's own connection (its health check). The TCP peer is the party to count.
    case local
    /// Command PROXY with a family that names no IP client (`AF_UNSPEC`, `AF_UNIX`): the spec lets the receiver
    /// use the real endpoints, so the TCP peer (the proxy) is counted, as without a header.
    case unknownSource
    /// Command PROXY over TCP: the client's address and port as the proxy saw them, and the address it reached.
    case proxied(source: ProxyEndpoint, destination: ProxyEndpoint)
}

/// An IPv4 (4 bytes) or IPv6 (16 bytes) address in network order, and a port.
public struct ProxyEndpoint: Equatable, Sendable {
    public let address: [UInt8]
    public let port: UInt16

    public init(address: [UInt8], port: UInt16) {
        self.address = address
        self.port = port
    }
}

/// Why a connection's PROXY header was refused; the relay closes the connection and counts `code`.
public struct ProxyHeaderError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, CaseIterable {
        /// A trusted proxy's connection did not start with a v2 signature or a v1 `PROXY ` line.
        case missing
        /// Version, command, family or transport is a value v2 does not define, or not TCP (v1: not TCP4, TCP6 or
        /// UNKNOWN).
        case unsupported
        /// The declared length is shorter than the family's addresses, or a TLV runs past the block; v1: no CR LF
        /// within 107 bytes, or a field that is not a valid address or port.
        case malformed
        /// The declared length is over `ProxyHeaderDecoder.maximumBodyLength`.
        case tooLong
        /// The whole header did not arrive within the reader's timeout.
        case timeout
        /// A peer that is not a trusted proxy started with a v2 signature or `PROXY `: it tried to choose its
        /// own address.
        case untrusted
    }

    public let code: Code
    public let reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "PROXY header \(code.rawValue): \(reason)" }

    /// Equal when the codes are: the reason is prose for a log, not part of the decision.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
}
