import NIOCore

/// Which address a relay's per-source limits count a connection under.
///
/// Behind a reverse proxy (nginx, Caddy, HAProxy) every TCP connection comes from the proxy, so every client would
/// share one address and one `connectionsPerSource` allowance. When the TCP peer is one of the operator's
/// `trustedProxies`, the client is the rightmost address of `X-Forwarded-For` that is not itself a trusted proxy
/// (each proxy appends the address it saw; anything left of the first untrusted hop was written by the client and
/// proves nothing). From any other peer the header is ignored: a client cannot pick its own source.
public struct ClientAddress: Sendable {
    /// Exact addresses as `SocketAddress.ipAddress` prints them (`127.0.0.1`, `::1`).
    let trustedProxies: Set<String>

    /// At most this many `X-Forwarded-For` entries are looked at (a proxy chain is short; a long header is noise).
    static let maximumHops = 16

    func isTrusted(_ peer: String?) -> Bool {
        guard let peer else { return false }
        return trustedProxies.contains(peer)
    }

    /// The address to count `peer`'s connection under, given the `X-Forwarded-For` header values of its upgrade
    /// request. An entry that is not an IP address ends the walk (the peer's own address is used then).
    func source(peer: String?, forwardedFor values: [String]) -> String {
        guard let peer else { return "unknown" }
        guard isTrusted(peer) else { return peer }
        let hops = values.joined(separator: ",").split(separator: ",", omittingEmptySubsequences: false)
            .suffix(Self.maximumHops)
        for hop in hops.reversed() {
            let trimmed = hop.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed()
            guard let address = Self.normalized(String(trimmed)) else { return peer }
            if !trustedProxies.contains(address) { return address }
        }
        return peer
    }

    /// A TCP peer's address as the per-source limits and `trustedProxies` know it. An IPv4 client of a dual-stack
    /// socket (`listen` `[::]`) arrives as ::ffff:a.b.c.d and counts as a.b.c.d, exactly as on an IPv4 socket.
    public static func peer(_ address: SocketAddress?) -> String? {
        guard case .v6(let v6) = address else { return address?.ipAddress }
        let bytes = withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
        guard bytes.prefix(10).allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF else {
            return address?.ipAddress
        }
        return bytes.suffix(4).map(String.init).joined(separator: ".")
    }

    /// The address as `SocketAddress` prints it, or nil for anything that is not an IPv4 or IPv6 address
    /// (brackets and a port are tolerated, as some proxies write them).
    public static func normalized(_ text: String) -> String? {
        var text = Substring(text)
        guard !text.isEmpty, text.utf8.count <= 64 else { return nil }
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            text = text[text.index(after: text.startIndex)..<close]
        } else if text.filter({ $0 == ":" }).count == 1, let colon = text.firstIndex(of: ":") {
            text = text[..<colon]
        }
        guard let address = try? SocketAddress(ipAddress: String(text), port: 0) else { return nil }
        return address.ipAddress
    }
}
