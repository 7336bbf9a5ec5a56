import MeshCore
import MeshPeer

/// The owner's certificate and revocations in the agent's data directory, written by `meshpeer owner certify` and
/// `meshpeer owner revoke --agent-home` and read by the node when it publishes its record and knocks (decision 0093).
///
/// `owner-certificate` holds one `OwnerCertificate` (153 bytes); `owner-revocations` holds up to
/// `maximumRevocations` `OwnerRevocation`s back to back (145 bytes each). Both are written whole and atomically.
public enum OwnerCredentialsFile {
    public static let certificateFileName = "owner-certificate"
    public static let revocationsFileName = "owner-revocations"
    public static let maximumRevocations = 16

    public static func certificatePath(home: String) -> String { home + "/" + certificateFileName }
    public static func revocationsPath(home: String) -> String { home + "/" + revocationsFileName }

    /// The certificate, or nil when the agent has none.
    public static func certificate(home: String) throws -> OwnerCertificate? {
        let path = certificatePath(home: home)
        guard SecureFile.exists(path) else { return nil }
        let bytes = try SecureFile.readPrivate(at: path, maximumByteCount: OwnerCertificate.byteCount)
        do {
            return try OwnerCertificate(decoding: bytes)
        } catch {
            throw ConfigurationError("\(path) is not an owner certificate (\(error))")
        }
    }

    /// The revocations the owner handed this agent (empty when there are none).
    public static func revocations(home: String) throws -> [OwnerRevocation] {
        let path = revocationsPath(home: home)
        guard SecureFile.exists(path) else { return [] }
        let bytes = try SecureFile.readPrivate(
            at: path,
            maximumByteCount: maximumRevocations * OwnerRevocation.byteCount
        )
        guard bytes.count % OwnerRevocation.byteCount == 0 else {
            throw ConfigurationError("\(path) is \(bytes.count) bytes, not a whole number of revocations")
        }
        return try stride(from: 0, to: bytes.count, by: OwnerRevocation.byteCount).map { start in
            do {
                return try OwnerRevocation(decoding: Array(bytes[start..<start + OwnerRevocation.byteCount]))
            } catch {
                throw ConfigurationError("\(path) holds a malformed revocation at byte \(start) (\(error))")
            }
        }
    }

    /// What the agent shows of its owner: its certificate and the revocations that concern it, or nil.
    public static func credentials(home: String) throws -> OwnerCredentials? {
        guard let certificate = try certificate(home: home) else { return nil }
        return OwnerCredentials(certificate: certificate, revocations: try revocations(home: home))
    }

    public static func writeCertificate(_ certificate: OwnerCertificate, home: String) throws {
        try SecureFile.replace(at: certificatePath(home: home), contents: certificate.encoded())
    }

    /// Adds `revocation`, keeping the newest `maximumRevocations` (a repeat is not stored twice).
    public static func addRevocation(_ revocation: OwnerRevocation, home: String) throws {
        var all = try revocations(home: home).filter { $0 != revocation }
        all.append(revocation)
        let kept = all.sorted { $0.revokedAt < $1.revokedAt }.suffix(maximumRevocations)
        try SecureFile.replace(at: revocationsPath(home: home), contents: kept.flatMap { $0.encoded() })
    }
}
