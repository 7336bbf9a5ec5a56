import MeshCore

/// The DHT bootstrap node `meshpeer relay` runs beside the relay (the `dht` object of the config file).
///
/// The node answers Kademlia and STUN on its UDP port(s), exactly like `meshpeer dht serve`, and publishes
/// the relay's signed advert under `RelayAdvert.providerKey`, re-signed well before it expires.
public struct RelayDHTConfiguration: Codable, Sendable, Equatable {
    /// UDP `host:port` addresses to bind (port 0 picks one). Default: both families, one socket each; on a host
    /// without IPv6 the [::] one is skipped with a note (decision 0099).
    public var listen: [String]
    /// `host:port` of DHT nodes to join through; empty for the first node of a network.
    public var bootstrap: [String]
    /// A `bootstrap-nodes.json` file, read besides `bootstrap`.
    public var bootstrapFile: String?
    /// The WebSocket URLs clients should use (`ws://…` or `wss://…`). Empty: derived from the relay's
    /// `listen` address when that names a concrete host; a relay on `0.0.0.0` must say its public address.
    public var advertise: [String]
    /// Lifetime of the DHT's provider record (republished every third of it).
    public var recordTTLSeconds: Int
    /// Lifetime of the signed advert inside it (at most a day); re-signed every quarter of it.
    public var advertLifetimeSeconds: Int

    public init(
        listen: [String] = ["0.0.0.0:4646", "[::]:4646"],
        bootstrap: [String] = [],
        bootstrapFile: String? = nil,
        advertise: [String] = [],
        recordTTLSeconds: Int = 1_800,
        advertLifetimeSeconds: Int = 6 * 3600
    ) {
        self.listen = listen
        self.bootstrap = bootstrap
        self.bootstrapFile = bootstrapFile
        self.advertise = advertise
        self.recordTTLSeconds = recordTTLSeconds
        self.advertLifetimeSeconds = advertLifetimeSeconds
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case listen, bootstrap, bootstrapFile, advertise, recordTTLSeconds, advertLifetimeSeconds
    }

    public init(from decoder: any Decoder) throws {
        try ConfigKeys.rejectUnknown(in: decoder, allowed: CodingKeys.allCases.map(\.rawValue), where: "dht")
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = RelayDHTConfiguration()
        listen = try container.decodeIfPresent([String].self, forKey: .listen) ?? defaults.listen
        bootstrap = try container.decodeIfPresent([String].self, forKey: .bootstrap) ?? []
        bootstrapFile = try container.decodeIfPresent(String.self, forKey: .bootstrapFile)
        advertise = try container.decodeIfPresent([String].self, forKey: .advertise) ?? []
        recordTTLSeconds = max(
            60,
            try container.decodeIfPresent(Int.self, forKey: .recordTTLSeconds) ?? defaults.recordTTLSeconds
        )
        advertLifetimeSeconds = min(
            24 * 3600,
            max(
                300,
                try container.decodeIfPresent(Int.self, forKey: .advertLifetimeSeconds)
                    ?? defaults.advertLifetimeSeconds
            )
        )
    }
}

/// Config files use one key style (camelCase) and a misspelt key is an error, not a silently ignored default.
enum ConfigKeys {

    static func rejectUnknown(in decoder: any Decoder, allowed: [String], where place: String) throws {
        let container = try decoder.container(keyedBy: AnyCodingKey.self)
        let unknown = container.allKeys.map(\.stringValue).filter { !allowed.contains($0) }.sorted()
        guard unknown.isEmpty else {
            throw RelayServerError(
                "unknown key(s) \(unknown.joined(separator: ", ")) in \(place); known: \(allowed.joined(separator: ", "))"
            )
        }
    }
}
