import MeshCore

/// NAT behaviour in RFC 4787 terms, and the classic names `nat-check` prints.
public enum NATFiltering: String, Sendable, Codable {
    case endpointIndependent = "endpoint-independent"
    case addressDependent = "address-dependent"
    case addressAndPortDependent = "address-and-port-dependent"
    /// The server could not run the RFC 5780 tests (no alternate address).
    case unknown
}

public enum NATClass: String, Sendable, Codable {
    /// No NAT, and nothing filters: the mapped address is one of ours, and a server's other address reached us
    /// unasked (or filtering could not be measured).
    case open
    /// No NAT, but a stateful firewall (RFC 6092, as IPv6 home routers have): the address is ours, yet only a
    /// peer we sent to first gets through. Classic STUN called it a "symmetric UDP firewall". A direct path works
    /// as through a port-restricted cone, by both sides sending.
    case firewalled
    case fullCone = "full-cone"
    case restrictedCone = "restricted-cone"
    case portRestricted = "port-restricted"
    case symmetric
    /// No STUN server answered. That is not a NAT class: UDP may be filtered (then only the relay path works), or
    /// every server may be down; one probe cannot tell which, so nat-check says so instead of guessing.
    case noAnswer = "no-answer"
    /// NAT with endpoint-independent mapping, filtering not measurable.
    case cone
    /// More than one NAT between us and the public address (double NAT, or carrier-grade NAT); the mapping and
    /// filtering fields still say how the whole chain behaves.
    case doubleNAT = "double-nat"

    /// The address is ours: no NAT maps it (`open` or `firewalled`).
    public var isUntranslated: Bool { self == .open || self == .firewalled }

    /// Pure classification (RFC 4787 vocabulary to classic names).
    public static func classify(
        localAddresses: [TransportAddress],
        mapped: [TransportAddress],
        filtering: NATFiltering
    ) -> NATClass {
        guard let first = mapped.first else { return .noAnswer }
        if localAddresses.contains(first) || localAddresses.contains(where: { $0.ip == first.ip && $0.port == 0 }) {
            switch filtering {
            case .addressDependent, .addressAndPortDependent: return .firewalled
            case .endpointIndependent, .unknown: return .open
            }
        }
        if mapped.contains(where: { $0 != first }) { return .symmetric }
        switch filtering {
        case .endpointIndependent: return .fullCone
        case .addressDependent: return .restrictedCone
        case .addressAndPortDependent: return .portRestricted
        case .unknown: return .cone
        }
    }
}

/// How much a `NATReport` can know from the servers that answered.
public enum NATCertainty: String, Sendable, Codable {
    /// No server answered: nothing is known about the NAT.
    case none
    /// One server answered: the public address is known, but a cone NAT cannot be told from a symmetric one
    /// (that takes two servers that see the same or different mapped ports).
    case partial
    /// Two or more servers answered: the mapping behaviour is measured. (Filtering is measured only with a server
    /// that has an alternate address; `filtering` says `unknown` otherwise.)
    case full

    public static func of(answered: Int) -> NATCertainty {
        answered == 0 ? .none : answered == 1 ? .partial : .full
    }

    /// One sentence for people.
    public var explanation: String {
        switch self {
        case .none: "no server answered: UDP may be blocked, or the servers are down"
        case .partial: "one server answered: a symmetric NAT cannot be told from a cone"
        case .full: "two or more servers answered: the mapping behaviour is measured"
        }
    }
}

/// What `nat-check` reports (Tailscale netcheck's shape): per-server mappings, the behaviours, port mapping.
public struct NATReport: Sendable, Codable, Equatable {
    public struct ServerResult: Sendable, Codable, Equatable {
        public var server: String
        public var mapped: String?
        public var rttMilliseconds: Double?

        enum CodingKeys: String, CodingKey {
            case server, mapped
            case rttMilliseconds = "rtt_ms"
        }
    }

    public var udp: Bool
    public var natClass: NATClass
    /// How sure the class is, from how many servers answered.
    public var certainty: NATCertainty
    public var publicAddress: String?
    public var mappingVariesByDestination: Bool?
    public var filtering: NATFiltering
    public var servers: [ServerResult]
    /// Filled by the driver: "upnp-igd", "nat-pmp", "pcp" or nil, and the mapping it obtained.
    public var portMapping: String?
    public var portMappedAddress: String?
    /// Why no mapping was obtained, when one was asked for.
    public var portMappingError: String?
    /// True when the public address is more than one router hop away; nil when not measured or not measurable.
    public var doubleNAT: Bool?
    /// True when a datagram to our own public address came back to us (the NAT hairpins); nil when not tested.
    public var hairpinning: Bool?

    enum CodingKeys: String, CodingKey {
        case udp
        case natClass = "class"
        case certainty
        case publicAddress = "public_address"
        case mappingVariesByDestination = "mapping_varies_by_destination"
        case filtering, servers
        case portMapping = "port_mapping"
        case portMappedAddress = "port_mapped_address"
        case portMappingError = "port_mapping_error"
        case doubleNAT = "double_nat"
        case hairpinning
    }
}
