import RelayFallback

/// What an operator configures (the JSON config file of `meshpeer relay --config`; see docs/operators.md).
public struct RelayServerConfiguration: Codable, Sendable {
    /// `host:port` to listen on; port 0 picks a free one (tests).
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

    public init(
        listen: String = "127.0.0.1:7400",
        dataDirectory: String,
        limits: RelayLimits = RelayLimits(),
        dht: RelayDHTConfiguration? = nil
    ) {
        self.listen = listen
        self.dataDirectory = dataDirectory
        self.limits = limits
        self.shutdownGraceSeconds = 5
        self.dht = dht
    }

    /// Every key of the file is camelCase, like the limits' keys (decision 0064).
    enum CodingKeys: String, CodingKey, CaseIterable {
        case listen
        case dataDirectory = "data"
        case limits
        case shutdownGraceSeconds
        case dht
        case tls
    }

    /// Missing keys take their defaults, so a config file names only what it changes; unknown keys are refused.
    public init(from decoder: any Decoder) throws {
        try ConfigKeys.rejectUnknown(in: decoder, allowed: CodingKeys.allCases.map(\.rawValue), where: "the config")
        let container = try decoder.container(keyedBy: CodingKeys.self)
        listen = try container.decodeIfPresent(String.self, forKey: .listen) ?? "127.0.0.1:7400"
        dataDirectory = try container.decodeIfPresent(String.self, forKey: .dataDirectory) ?? "relay-data"
        limits = try container.decodeIfPresent(RelayLimits.self, forKey: .limits) ?? RelayLimits()
        shutdownGraceSeconds = try container.decodeIfPresent(Double.self, forKey: .shutdownGraceSeconds) ?? 5
        dht = try container.decodeIfPresent(RelayDHTConfiguration.self, forKey: .dht)
        tls = try container.decodeIfPresent(RelayTLSConfiguration.self, forKey: .tls)
    }

    /// Splits `listen` into host and port.
    public func hostAndPort() throws -> (host: String, port: Int) {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]),
            (0...65_535).contains(port)
        else { throw RelayServerError("listen address \(listen) is not host:port") }
        var host = String(listen[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host, port)
    }
}

public struct RelayServerError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
