import NIOSSL
import Synchronization

/// TLS for a client's connection to a `wss://` relay (and to an `https://` indexer): the system's trust roots, or the certificates of a PEM
/// file (a private deployment, tests with a certificate made on the spot), and the name the certificate must carry.
public struct RelayClientTLS: Sendable {
    package let context: NIOSSLContext
    /// The name checked against the certificate and sent as SNI; nil uses the connection's host when it is a name.
    public let serverHostname: String?

    /// - Parameters:
    ///   - trustedCertificates: a PEM file of roots to trust instead of the system's; nil trusts the system's.
    ///   - serverHostname: the name to verify (when connecting by IP address to a certificate issued for a name).
    public init(trustedCertificates: String? = nil, serverHostname: String? = nil) throws {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        if let trustedCertificates {
            configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(trustedCertificates))
        }
        context = try NIOSSLContext(configuration: configuration)
        self.serverHostname = serverHostname
    }

    /// TLS with the system's trust roots, built once per process. Building a context reads and parses the whole
    /// system bundle of roots (milliseconds, and a copy of every root in memory), and every `wss://` relay
    /// connection and every `https://` indexer GET used to build its own. Roots added to the system later are seen
    /// after a restart, as in other long-running clients. A context that failed to build is retried on the next call.
    public static func system() throws -> RelayClientTLS {
        try systemCache.withLock { cached in
            if let cached { return cached }
            let made = try RelayClientTLS()
            cached = made
            return made
        }
    }

    private static let systemCache = Mutex<RelayClientTLS?>(nil)

    /// SNI must be a name, never an IP literal.
    package func hostname(connectingTo host: String) -> String? {
        if let serverHostname { return serverHostname }
        let isAddress = host.contains(":") || host.split(separator: ".").allSatisfy { UInt8($0) != nil }
        return isAddress ? nil : host
    }
}
