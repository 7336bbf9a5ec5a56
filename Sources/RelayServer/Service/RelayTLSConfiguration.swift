/// Built-in TLS for the relay's port (the `tls` object of the config file): WebSocket, `/healthz` and
/// `/metrics` are then served over TLS only, and the relay advertises `wss://` URLs.
public struct RelayTLSConfiguration: Codable, Sendable, Equatable {
    /// PEM file with the certificate chain, leaf first.
    public var certificateChain: String
    /// PEM file with the leaf certificate's private key (keep it mode 0600).
    public var privateKey: String

    public init(certificateChain: String, privateKey: String) {
        self.certificateChain = certificateChain
        self.privateKey = privateKey
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case certificateChain, privateKey
    }

    public init(from decoder: any Decoder) throws {
        try ConfigKeys.rejectUnknown(in: decoder, allowed: CodingKeys.allCases.map(\.rawValue), where: "tls")
        let container = try decoder.container(keyedBy: CodingKeys.self)
        certificateChain = try container.decode(String.self, forKey: .certificateChain)
        privateKey = try container.decode(String.self, forKey: .privateKey)
    }
}
