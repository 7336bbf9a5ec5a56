import RelayFallback

/// What an operator configures (the JSON config file of `meshpeer relay --config`; see docs/operators.md).
public struct RelayServerConfiguration: Codable, Sendable {
    /// `host:port` to listen on; port 0 picks a free one (tests). `localhost` (the default) is 127.0.0.1 and ::1,
    /// `[::]` both families on one socket (`listeners()`).
    public var listen: String
    /// Holds `identity.key` (the relay's own key) and `relay.sqlite` (the envelope store).
    public var dataDirectory: String
    public var limits: RelayLimits
    /// How long a graceful shutdown waits for connections to close before forcing them.
    public var shutdownGraceSeconds: Double
    /// The DHT bootstrap node run beside the relay; nil (no `dht` key) runs none.
    public var dht: RelayDHTConfiguration?
    /// Built-in TLS; nil serves plain WebSocket (put a TLS proxy in front, or set this).
    public var tls: RelayTLSConfiguration?
    /// `host:port` of the plain-HTTP listener for `/metrics` and `/healthz`; nil: `defaultMetricsListen`.
    public var metricsListen: String?
    /// A lab (one machine, or a private network): loopback, private and link-local addresses may be advertised.
    public var lab: Bool
    /// A relay that lies, for tests (issue 19); refused unless `lab` is set.
    public var adversary: RelayAdversaryPlan?
    /// Reverse proxies in front of the relay (exact addresses): from these, the client's address is taken from
    /// `X-Forwarded-For`, so per-source limits count real clients (`ClientAddress`).
    public var trustedProxies: [String]
    /// The listener reads a PROXY protocol header (v2: HAProxy `send-proxy-v2`; v1: nginx stream `proxy_protocol on`)
    /// first from every connection of a trusted proxy, and counts it under the client the header names; a header
    /// from any other peer is refused (decision 0103).
    public var proxyProtocol: Bool

    /// Metrics stay on loopback unless the operator says otherwise: 127.0.0.1:7401, or port 0 (any free port)
    /// when the relay itself listens on port 0 (tests, benchmarks, several relays on one machine).
    public var effectiveMetricsListen: String {
        if let metricsListen { return metricsListen }
        return (try? hostAndPort().port) == 0 ? "127.0.0.1:0" : "127.0.0.1:7401"
    }

    public init(
        listen: String = RelayServerConfiguration.defaultListen,
        dataDirectory: String,
        limits: RelayLimits = RelayLimits(),
        dht: RelayDHTConfiguration? = nil
    ) {
        self.listen = listen
        self.dataDirectory = dataDirectory
        self.limits = limits
        self.shutdownGraceSeconds = 5
        self.dht = dht
        self.lab = false
        self.trustedProxies = []
        self.proxyProtocol = false
    }

    /// Every key of the file is camelCase, like the limits' keys (decision 0064).
    enum CodingKeys: String, CodingKey, CaseIterable {
        case listen
        case dataDirectory = "data"
        case limits
        case shutdownGraceSeconds
        case dht
        case tls
        case metricsListen
        case lab
        case adversary
        case trustedProxies
        case proxyProtocol
    }

    /// Missing keys take their defaults, so a config file names only what it changes; unknown keys are refused.
    public init(from decoder: any Decoder) throws {
        try ConfigKeys.rejectUnknown(in: decoder, allowed: CodingKeys.allCases.map(\.rawValue), where: "the config")
        let container = try decoder.container(keyedBy: CodingKeys.self)
        listen = try container.decodeIfPresent(String.self, forKey: .listen) ?? Self.defaultListen
        dataDirectory = try container.decodeIfPresent(String.self, forKey: .dataDirectory) ?? "relay-data"
        limits = try container.decodeIfPresent(RelayLimits.self, forKey: .limits) ?? RelayLimits()
        shutdownGraceSeconds = try container.decodeIfPresent(Double.self, forKey: .shutdownGraceSeconds) ?? 5
        dht = try container.decodeIfPresent(RelayDHTConfiguration.self, forKey: .dht)
        tls = try container.decodeIfPresent(RelayTLSConfiguration.self, forKey: .tls)
        metricsListen = try container.decodeIfPresent(String.self, forKey: .metricsListen)
        lab = try container.decodeIfPresent(Bool.self, forKey: .lab) ?? false
        adversary = try container.decodeIfPresent(RelayAdversaryPlan.self, forKey: .adversary)
        trustedProxies = try container.decodeIfPresent([String].self, forKey: .trustedProxies) ?? []
        proxyProtocol = try container.decodeIfPresent(Bool.self, forKey: .proxyProtocol) ?? false
        for proxy in trustedProxies where ClientAddress.normalized(proxy) != proxy {
            throw RelayServerError(
                "trustedProxies: \(proxy) is not an IP address as the relay prints it (write 127.0.0.1 or ::1, no port)"
            )
        }
    }

    /// Splits `listen` into host and port.
    public func hostAndPort() throws -> (host: String, port: Int) {
        try Self.split(listen, key: "listen")
    }

    /// Splits a `host:port` setting; the error names the key.
    public static func split(_ text: String, key: String) throws -> (host: String, port: Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65_535).contains(port)
        else { throw RelayServerError("\(key): \(text) is not host:port") }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host, port)
    }
}

public struct RelayServerError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
