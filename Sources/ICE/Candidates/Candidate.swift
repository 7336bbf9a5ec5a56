import MeshCore

/// An ICE candidate (RFC 8445 §5.1). Only component 1 over UDP: MeshPeer multiplexes everything on one flow.
public struct Candidate: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case host
        case serverReflexive = "srflx"
        case peerReflexive = "prflx"
        case relay

        /// Type preferences recommended by RFC 8445 §5.1.2.2.
        public var typePreference: UInt32 {
            switch self {
            case .host: 126
            case .peerReflexive: 110
            case .serverReflexive: 100
            case .relay: 0
            }
        }
    }

    public var kind: Kind
    /// Where the peer sends.
    public var address: TransportAddress
    /// The local socket the candidate sends from (itself for host candidates). For remote candidates, `address`.
    public var base: TransportAddress
    public var priority: UInt32
    public var foundation: String
    public var relatedAddress: TransportAddress?

    public init(
        kind: Kind,
        address: TransportAddress,
        base: TransportAddress? = nil,
        priority: UInt32? = nil,
        foundation: String? = nil,
        relatedAddress: TransportAddress? = nil,
        localPreference: UInt16 = 65_535
    ) {
        self.kind = kind
        self.address = address
        self.base = base ?? address
        self.priority = priority ?? Candidate.priority(kind: kind, localPreference: localPreference)
        self.foundation = foundation ?? Candidate.foundation(kind: kind, base: base ?? address)
        self.relatedAddress = relatedAddress
    }

    /// RFC 8445 §5.1.2.1: (2^24)·type + (2^8)·local + (256 − component), component 1.
    public static func priority(kind: Kind, localPreference: UInt16) -> UInt32 {
        kind.typePreference << 24 | UInt32(localPreference) << 8 | 255
    }

    /// Same type and same base give the same foundation (RFC 8445 §5.1.1.3); a short stable digest of both.
    static func foundation(kind: Kind, base: TransportAddress) -> String {
        var hash: UInt32 = 2_166_136_261
        for byte in Array(kind.rawValue.utf8) + base.ip.bytes {
            hash = (hash ^ UInt32(byte)) &* 16_777_619
        }
        return String(hash % 1_000_000_000)
    }

    /// The SDP `candidate` attribute value (RFC 8839 §5.1), without the `candidate:` prefix.
    public var sdp: String {
        var text = "\(foundation) 1 udp \(priority) \(address.ip) \(address.port) typ \(kind.rawValue)"
        if let related = relatedAddress { text += " raddr \(related.ip) rport \(related.port)" }
        return text
    }

    /// Parses an SDP candidate line (with or without `candidate:`); only UDP component 1 is accepted.
    public init?(sdp line: String) {
        let text = line.hasPrefix("candidate:") ? String(line.dropFirst("candidate:".count)) : line
        let f = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard f.count >= 8, f.count <= 32, Self.isFoundation(f[0]), f[1] == "1", f[2].lowercased() == "udp",
            let priority = UInt32(f[3]), let ip = IPAddress(f[4]), let port = UInt16(f[5]), f[6] == "typ",
            let kind = Kind(rawValue: f[7])
        else { return nil }
        var related: TransportAddress?
        if let r = f.firstIndex(of: "raddr"), r + 3 < f.count, f[r + 2] == "rport", let rip = IPAddress(f[r + 1]),
            let rport = UInt16(f[r + 3])
        {
            related = TransportAddress(ip: rip, port: rport)
        }
        let address = TransportAddress(ip: ip, port: port)
        self.init(kind: kind, address: address, priority: priority, foundation: f[0], relatedAddress: related)
    }

    /// RFC 8839 §5.1: `foundation = 1*32ice-char`, `ice-char = ALPHA / DIGIT / "+" / "/"`. Anything else (a
    /// second `candidate:` prefix, control characters) would print as a line that parses to another candidate
    /// (FuzzCandidate found one: " candidate:7 1 udp …" kept "candidate:7" as its foundation).
    static func isFoundation(_ text: String) -> Bool {
        (1...32).contains(text.utf8.count)
            && text.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || byte == 0x2B || byte == 0x2F
            }
    }

    public var description: String { "\(kind.rawValue) \(address)" + (base != address ? " (base \(base))" : "") }
}
