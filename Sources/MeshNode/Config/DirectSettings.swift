import ICE
import MeshCore
import MeshPeer

/// `direct` in config.json: whether conversations may move from the relay to a direct UDP path (docs/paths.md).
public struct DirectSettings: Hashable, Sendable, Decodable {
    /// `auto` upgrades when both agents allow it; `relay` never offers and declines offers.
    public var mode = PathMode.auto
    /// Addresses to bind ICE host candidates on (IPv6 with or without brackets, as in `[2001:db8::1]:0` elsewhere in
    /// the file). Empty: every interface address, or loopback only when the DHT listens on loopback (a local mesh,
    /// tests). An entry that is not an address is refused when the file is read: dropping it silently bound the
    /// interfaces instead of what the owner wrote.
    public var hosts: [String] = []
    /// STUN servers (`ip:port`, IPv6 in brackets; names are not resolved) for server-reflexive candidates. Empty:
    /// the bootstrap nodes, which answer STUN on their DHT port (at most two are asked). An entry that is not an
    /// address is refused when the file is read.
    public var stun: [String] = []
    /// Whether each path attempt asks the gateway to map its socket (PCP, NAT-PMP, then UPnP IGD). Off by itself on a
    /// loopback mesh; after a try that finds no gateway, not asked again for ten minutes.
    public var portMapping = true

    public init() {}
    public init(from decoder: any Decoder) throws {
        try decoder.refuseUnknownKeys(["mode", "hosts", "stun", "portMapping"], in: "direct")
        let container = try decoder.container(keyedBy: AnyCodingKey.self)
        if let text = try container.decodeIfPresent(String.self, forKey: .init(stringValue: "mode")) {
            guard let mode = PathMode(rawValue: text) else {
                throw ConfigurationError("direct.mode must be auto or relay, not \(text)")
            }
            self.mode = mode
        }
        hosts = try container.decodeIfPresent([String].self, forKey: .init(stringValue: "hosts")) ?? hosts
        stun = try container.decodeIfPresent([String].self, forKey: .init(stringValue: "stun")) ?? stun
        portMapping =
            try container.decodeIfPresent(Bool.self, forKey: .init(stringValue: "portMapping")) ?? portMapping
        guard hosts.count <= 8, stun.count <= 8 else {
            throw ConfigurationError("direct: at most 8 hosts and 8 STUN servers")
        }
        for host in hosts where Self.address(host) == nil {
            throw ConfigurationError("direct.hosts: \(host) is not an IP address (e.g. 192.0.2.10, [2001:db8::10])")
        }
        // Dropped silently before, like a bad host: the node then asked only the bootstrap nodes.
        for server in stun where TransportAddress(server) == nil {
            throw ConfigurationError(
                "direct.stun: \(server) is not an address and port (e.g. 192.0.2.10:3478, [2001:db8::10]:3478; no names)"
            )
        }
    }

    /// `hosts` as addresses.
    public var hostAddresses: [IPAddress] { hosts.compactMap(Self.address) }

    /// An IPv4 or IPv6 literal; IPv6 may be in brackets.
    static func address(_ text: String) -> IPAddress? {
        if text.hasPrefix("[") && text.hasSuffix("]") {
            guard let inner = IPAddress(String(text.dropFirst().dropLast())), !inner.isIPv4 else { return nil }
            return inner
        }
        return IPAddress(text)
    }
}
