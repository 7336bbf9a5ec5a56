import Foundation
import Kademlia
import MeshCore
import MeshPeer

/// The node's settings: `config.json` in the data directory (optional; every key has a default). Unknown keys are
/// refused, naming the key. docs/node.md documents each one.
public struct NodeConfiguration: Hashable, Sendable, Decodable {
    public struct DHT: Hashable, Sendable, Decodable {
        /// UDP addresses to listen on (they also answer STUN).
        public var listen: [String] = ["0.0.0.0:0"]
        /// Seeds besides `bootstrap-nodes.json`.
        public var bootstrap: [String] = []
        /// LAN discovery on this interface (a name such as `eth0`, or one of its addresses); off when absent.
        public var lan: String?
        /// `both` (each family the interface and the DHT's sockets have), `ipv4` or `ipv6`.
        public var lanFamily = LANFamilies.both

        public init() {}
        public init(from decoder: any Decoder) throws {
            try decoder.refuseUnknownKeys(["listen", "bootstrap", "lan", "lanFamily"], in: "dht")
            let container = try decoder.container(keyedBy: AnyCodingKey.self)
            listen = try container.decodeIfPresent([String].self, forKey: .init(stringValue: "listen")) ?? listen
            bootstrap =
                try container.decodeIfPresent([String].self, forKey: .init(stringValue: "bootstrap")) ?? bootstrap
            lan = try container.decodeIfPresent(String.self, forKey: .init(stringValue: "lan"))
            if let text = try container.decodeIfPresent(String.self, forKey: .init(stringValue: "lanFamily")) {
                guard let family = LANFamilies(rawValue: text) else {
                    throw ConfigurationError("dht.lanFamily must be both, ipv4 or ipv6, not \(text)")
                }
                lanFamily = family
            }
        }
    }

    public struct API: Hashable, Sendable, Decodable {
        public var host = "127.0.0.1"
        public var port = 0
        /// Binding to anything but loopback exposes the agent's messages to the network; it must be asked for.
        public var allowNonLoopback = false

        public init() {}
        public init(from decoder: any Decoder) throws {
            try decoder.refuseUnknownKeys(["host", "port", "allowNonLoopback"], in: "api")
            let container = try decoder.container(keyedBy: AnyCodingKey.self)
            host = try container.decodeIfPresent(String.self, forKey: .init(stringValue: "host")) ?? host
            port = try container.decodeIfPresent(Int.self, forKey: .init(stringValue: "port")) ?? port
            allowNonLoopback =
                try container.decodeIfPresent(Bool.self, forKey: .init(stringValue: "allowNonLoopback"))
                ?? allowNonLoopback
        }
    }

    public var dht = DHT()
    /// Relay candidates (`ws://` or `wss://` URLs). Empty: the relays announced in the DHT.
    public var relays: [String] = []
    public var api = API()
    /// How long a published record lives in the DHT, and how often it is refreshed before that.
    public var recordTTLSeconds = 1_800
    public var republishSeconds = 600
    /// A message not delivered within this many seconds expires (at most 7 days).
    public var messageExpirySeconds = 7 * 24 * 3600
    /// The owner-edited A2A card and knock policy, relative to the data directory.
    public var cardFile = "card.json"
    public var policyFile = "policy.json"
    /// How many home relays to keep.
    public var homeRelays = 2
    /// The owner's audit log and circuit breaker (docs/owner-controls.md).
    public var audit = AuditSettings()
    public var breaker = BreakerSettings()
    /// Who can find the agent: `listed`, `unlisted` or `private` (docs/exposure.md).
    public var exposure = Exposure.listed
    /// Indexers (`http://host:port`) that answer `find "words"` (docs/indexer.md); each result is verified here.
    public var indexers: [String] = []
    /// Direct paths: mode, ICE host addresses, STUN servers (docs/paths.md).
    public var direct = DirectSettings()
    /// A PEM file of root certificates that `wss://` relays are verified against instead of the system's (a private
    /// relay network, a lab CA); relative to the data directory. The node refuses to start when it cannot be read.
    public var relayTrustRoots: String?

    public init() {}

    static let keys = [
        "dht", "relays", "api", "recordTTLSeconds", "republishSeconds", "messageExpirySeconds", "cardFile",
        "policyFile", "homeRelays", "audit", "breaker", "exposure", "indexers", "direct", "relayTrustRoots",
    ]

    public init(from decoder: any Decoder) throws {
        try decoder.refuseUnknownKeys(NodeConfiguration.keys, in: "config.json")
        let c = try decoder.container(keyedBy: AnyCodingKey.self)
        func key(_ name: String) -> AnyCodingKey { AnyCodingKey(stringValue: name) }
        dht = try c.decodeIfPresent(DHT.self, forKey: key("dht")) ?? dht
        relays = try c.decodeIfPresent([String].self, forKey: key("relays")) ?? relays
        api = try c.decodeIfPresent(API.self, forKey: key("api")) ?? api
        recordTTLSeconds = try c.decodeIfPresent(Int.self, forKey: key("recordTTLSeconds")) ?? recordTTLSeconds
        republishSeconds = try c.decodeIfPresent(Int.self, forKey: key("republishSeconds")) ?? republishSeconds
        messageExpirySeconds =
            try c.decodeIfPresent(Int.self, forKey: key("messageExpirySeconds")) ?? messageExpirySeconds
        cardFile = try c.decodeIfPresent(String.self, forKey: key("cardFile")) ?? cardFile
        policyFile = try c.decodeIfPresent(String.self, forKey: key("policyFile")) ?? policyFile
        homeRelays = try c.decodeIfPresent(Int.self, forKey: key("homeRelays")) ?? homeRelays
        audit = try c.decodeIfPresent(AuditSettings.self, forKey: key("audit")) ?? audit
        breaker = try c.decodeIfPresent(BreakerSettings.self, forKey: key("breaker")) ?? breaker
        exposure = try c.decodeIfPresent(Exposure.self, forKey: key("exposure")) ?? exposure
        indexers = try c.decodeIfPresent([String].self, forKey: key("indexers")) ?? indexers
        direct = try c.decodeIfPresent(DirectSettings.self, forKey: key("direct")) ?? direct
        relayTrustRoots = try c.decodeIfPresent(String.self, forKey: key("relayTrustRoots"))
        try validate()
    }

    func validate() throws {
        guard (60...86_400).contains(recordTTLSeconds) else {
            throw ConfigurationError("recordTTLSeconds must be 60...86400, not \(recordTTLSeconds)")
        }
        guard republishSeconds >= 10, republishSeconds < recordTTLSeconds else {
            throw ConfigurationError("republishSeconds must be at least 10 and below recordTTLSeconds")
        }
        guard (60...(7 * 24 * 3600)).contains(messageExpirySeconds) else {
            throw ConfigurationError("messageExpirySeconds must be 60...604800, not \(messageExpirySeconds)")
        }
        guard (1...4).contains(homeRelays) else { throw ConfigurationError("homeRelays must be 1...4") }
        guard indexers.count <= 8, indexers.allSatisfy({ $0.hasPrefix("http://") || $0.hasPrefix("https://") }) else {
            throw ConfigurationError("indexers: at most 8 http:// or https:// URLs")
        }
        guard (0...65_535).contains(api.port) else { throw ConfigurationError("api.port must be 0...65535") }
        if let relayTrustRoots, relayTrustRoots.isEmpty {
            throw ConfigurationError("relayTrustRoots: name a PEM file of root certificates, or leave the key out")
        }
    }

    /// Reads `config.json` from `home`; a missing file means every default.
    public static func load(home: String) throws -> NodeConfiguration {
        let path = (home as NSString).appendingPathComponent("config.json")
        guard let data = FileManager.default.contents(atPath: path) else { return NodeConfiguration() }
        do {
            return try JSONDecoder().decode(NodeConfiguration.self, from: data)
        } catch let error as ConfigurationError {
            throw ConfigurationError("\(path): \(error.description)")
        } catch DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context) {
            let where_ = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw ConfigurationError("\(path): \(where_): \(context.debugDescription)")
        } catch {
            throw ConfigurationError("\(path): not valid JSON (\(error))")
        }
    }
}
