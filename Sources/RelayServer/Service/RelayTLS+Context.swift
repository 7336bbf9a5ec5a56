import NIOSSL

extension RelayTLSConfiguration {
    /// The server context, built at start (and at a reload) so a bad file fails there rather than in each
    /// connection.
    func makeContext() throws -> NIOSSLContext {
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(certificateChain).map {
                NIOSSLCertificateSource.certificate($0)
            }
            guard !chain.isEmpty else { throw RelayServerError("no certificate in \(certificateChain)") }
            let key = try NIOSSLPrivateKey(file: privateKey, format: .pem)
            var configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: chain,
                privateKey: .privateKey(key)
            )
            configuration.minimumTLSVersion = .tlsv12
            return try NIOSSLContext(configuration: configuration)
        } catch let error as RelayServerError {
            throw error
        } catch {
            throw RelayServerError("cannot load the TLS certificate or key: \(error)")
        }
    }
}
