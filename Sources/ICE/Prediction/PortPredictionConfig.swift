import MeshCore

/// Caps and timing of port prediction (docs/ice.md, "Port prediction"). Every field bounds what we send: the
/// defaults keep one attempt under ~2,300 small datagrams in at most 8 s, at no more than 500 per second.
public struct PortPredictionConfig: Sendable, Equatable {
    /// Off: neither side opens extra sockets nor probes (`meshpeer ice-connect --no-port-prediction`).
    public var enabled = true
    /// Prediction starts only if no pair has succeeded this long after checks began: a pair of NATs that
    /// ordinary checks can cross never pays for it.
    public var startDelay: Duration = .milliseconds(500)
    /// Sockets the symmetric side opens, each with one mapping towards the peer (Tailscale opens 256).
    public var sockets = 256
    /// Probes the endpoint-independent side sends to the symmetric NAT's public address, in all. With 256
    /// mappings among 64,512 ports, 1,024 random probes miss all of them 1.7% of the time and 2,048 about 0.06%
    /// (after the window's probes, wasted on a random allocator).
    public var maximumProbes = 2_048
    /// Ports either side of each of the peer's server-reflexive ports probed first (Tox's ±48 window), which is
    /// where a sequential allocator puts the new mappings.
    public var sequentialWindow = 48
    /// Ports a random probe may aim at: what Linux picks from for `masquerade fully-random`.
    public var portRange: ClosedRange<UInt16> = 1_024...65_535
    /// Datagrams per second, on each side (opening packets or probes).
    public var packetsPerSecond = 500
    /// At most this many datagrams leave at one instant when the driver woke late.
    public var burst = 16
    /// Neither side sends prediction traffic for longer than this after its phase began.
    public var maximumDuration: Duration = .seconds(8)
    /// The symmetric side keeps its unused sockets open this long after the peer's probing should have ended.
    public var linger: Duration = .seconds(1)

    public init() {}

    /// How long the symmetric side needs to open all its mappings at `packetsPerSecond`.
    public var openingTime: Duration { .nanoseconds(Int64(max(0, sockets)) * interval.nanoseconds) }

    /// The spacing of prediction datagrams.
    public var interval: Duration { .nanoseconds(1_000_000_000 / Int64(max(1, packetsPerSecond))) }

    /// The probing side waits for the symmetric side's mappings to exist (plus 100 ms of binding and travel).
    public var probeDelay: Duration { startDelay + openingTime + .milliseconds(100) }
}

/// What a side tells its peer about its NAT's mapping (RFC 4787 §4.1), in the offer or answer, so the two can
/// agree on port prediction. Unknown values read as "unknown": an old or newer peer never breaks decoding.
public struct ICENATHint: Hashable, Sendable, Codable {
    public static let endpointIndependent = "endpoint-independent"
    public static let endpointDependent = "endpoint-dependent"

    /// `endpoint-independent`, `endpoint-dependent`, or anything else for unknown.
    public var mapping: String
    /// The NAT's public address as STUN saw it: where the peer aims its probes.
    public var publicIP: String?

    enum CodingKeys: String, CodingKey {
        case mapping
        case publicIP = "public_ip"
    }

    public init(mapping: String, publicIP: IPAddress?) {
        self.mapping = mapping
        self.publicIP = publicIP?.description
    }

    /// The hint a gathering probe supports: at least two servers agreeing (or no NAT) say endpoint-independent,
    /// two disagreeing say endpoint-dependent; one answer alone says nothing (nil).
    public init?(report: NATReport) {
        let publicIP = report.publicAddress.flatMap(TransportAddress.init)?.ip
        if report.natClass.isUntranslated {
            self.init(mapping: Self.endpointIndependent, publicIP: publicIP)
        } else if let varies = report.mappingVariesByDestination {
            self.init(mapping: varies ? Self.endpointDependent : Self.endpointIndependent, publicIP: publicIP)
        } else {
            return nil
        }
    }

    var isEndpointIndependent: Bool { mapping == Self.endpointIndependent }
    var isEndpointDependent: Bool { mapping == Self.endpointDependent }
    /// Parsed and IPv4 only (the lab and the probes are IPv4); bounded before parsing.
    var parsedPublicIP: IPAddress? {
        guard let text = publicIP, text.utf8.count <= 64, let ip = IPAddress(text), ip.isIPv4 else { return nil }
        return ip
    }
}
