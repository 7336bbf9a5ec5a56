import MeshCore
import MeshPeer

/// What `meshpeer run` (or a test) asks of a node beyond its data directory's files: command-line overrides.
public struct NodeOptions: Sendable {
    public var home: String
    public var passphrase: SecureBytes?
    /// Extra DHT seeds (`host:port`), besides config.json's and `bootstrap-nodes.json`.
    public var bootstrap: [String] = []
    /// Extra relay candidates (`ws://host:port`), besides config.json's.
    public var relays: [String] = []
    /// Replaces config.json's DHT listen addresses.
    public var dhtListen: [String]?
    /// Replaces config.json's API port.
    public var apiPort: Int?
    /// The card's name when the data directory has no card file.
    public var defaultName: String?
    /// Replaces config.json's `direct.mode` (`auto` or `relay`).
    public var directMode: PathMode?
    /// Replaces config.json's `dht.lan`: LAN discovery on this interface (name or address).
    public var lan: String?

    public init(home: String, passphrase: SecureBytes? = nil) {
        self.home = home
        self.passphrase = passphrase
    }
}

/// What a started node reports once its API is listening: the first line `meshpeer run --json` prints.
public struct NodeReady: Sendable, Codable {
    public var event = "ready"
    public var did: String
    public var api: String
    public var dht: [String]
    public var relays: [String]
}
