import MeshCore

/// What the DHT asks of a UDP endpoint (MeshCore's `TransportAddress`, the one address type of IP endpoints: see
/// docs/decisions/0112): how IP-diversity limits group it, what the rate limiter counts it by, whether it is a
/// local or lab address, and its wire form. The core never resolves names or opens sockets; it only compares,
/// encodes and classifies addresses.
extension TransportAddress {
    /// The network that IP-diversity limits count per: an IPv4 /24 or an IPv6 /48.
    public var diversityPrefix: [UInt8] { Array(ip.bytes.prefix(isIPv4 ? 3 : 6)) }

    /// What the per-source rate limit counts by. On the internet that is the IP, because one host can use any number
    /// of ports. On loopback every port is a separate process on this very host (a local mesh, a test), and a flood
    /// from the host itself needs no limit to be possible; keying by IP there made twenty local clients share one
    /// bucket and starve each other.
    public var rateLimitKey: [UInt8] {
        isLoopback ? ip.bytes + [UInt8(port >> 8), UInt8(port & 0xFF)] : ip.bytes
    }

    /// Loopback, private, link-local, CGNAT and documentation/benchmark ranges: where local meshes, tests and
    /// the network lab live. IP-diversity limits do not apply to these unless the configuration says so.
    public var isLocalOrLab: Bool {
        let ip = self.ip.bytes
        if isIPv4 {
            let (a, b, c) = (ip[0], ip[1], ip[2])
            return a == 127 || a == 10 || (a == 172 && (16...31).contains(b)) || (a == 192 && b == 168)
                || (a == 169 && b == 254) || (a == 100 && (64...127).contains(b))
                || (a == 192 && b == 0 && c == 2) || (a == 198 && b == 51 && c == 100)
                || (a == 203 && b == 0 && c == 113) || (a == 198 && (18...19).contains(b))
        }
        return isLoopback || (ip[0] & 0xFE) == 0xFC || (ip[0] == 0xFE && (ip[1] & 0xC0) == 0x80)
            || (ip[0] == 0x20 && ip[1] == 0x01 && ip[2] == 0x0D && ip[3] == 0xB8)
    }
}

extension TransportAddress: WireEncodable, WireDecodable {
    /// `family (4 or 6) ‖ address ‖ port (u16)`.
    public func encode(to writer: inout WireWriter) {
        writer.write(UInt8(isIPv4 ? 4 : 6))
        writer.write(raw: ip.bytes)
        writer.write(port)
    }

    public init(from reader: inout WireReader) throws {
        let start = reader.position
        let family = try reader.readUInt8()
        let length: Int
        switch family {
        case 4: length = 4
        case 6: length = 16
        default: throw WireError(.invalidValue, at: start, "address family \(family)")
        }
        let bytes = try reader.readBytes(length)
        let port = try reader.readUInt16()
        // The length is checked above.
        self.init(ip: IPAddress(bytes: bytes)!, port: port)
    }
}
