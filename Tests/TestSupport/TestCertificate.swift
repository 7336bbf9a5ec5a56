import Foundation

/// Self-signed certificates made on the spot by openssl (never committed), for the TLS tests: the relay's built-in
/// TLS, a node's `relayTrustRoots`, an `https` indexer.
public enum TestCertificate {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// A self-signed P-256 certificate (its own CA) for DNS name `name` and IP `address`, valid for a day: the
    /// PEM files `<file>.pem` and `<file>-key.pem` in `directory`.
    public static func make(
        in directory: String,
        file: String,
        name: String = "localhost",
        address: String = "127.0.0.1"
    ) throws -> (certificate: String, key: String) {
        let certificate = directory + "/\(file).pem"
        let key = directory + "/\(file)-key.pem"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
            "-subj", "/CN=\(name)", "-addext", "subjectAltName=DNS:\(name),IP:\(address)",
            "-keyout", key, "-out", certificate,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "openssl could not make a certificate (exit \(process.terminationStatus))")
        }
        return (certificate, key)
    }
}
