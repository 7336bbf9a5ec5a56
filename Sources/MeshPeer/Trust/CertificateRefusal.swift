/// Why an owner certificate was not believed, in the order `OwnerCertificate.verify` checks. The code goes into the
/// refused knock's rule and the audit log's detail, so an owner can tell a forgery from an expiry.
public struct CertificateRefusal: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Hashable, Sendable, CaseIterable {
        /// The policy asked for a certificate and none came.
        case missing
        /// Not 153 well-formed bytes.
        case malformed
        /// The owner's signature does not verify.
        case forged
        /// Signed for an agent other than the one presenting it.
        case otherAgent = "other-agent"
        /// Signed by an owner key the policy does not list.
        case ownerNotListed = "owner-not-listed"
        /// The owner published a revocation for this serial.
        case revoked
        /// `issuedAt` is later than our clock (beyond the allowed skew).
        case notYetValid = "not-yet-valid"
        /// `expiresAt` has passed.
        case expired
    }

    public let code: Code
    public let reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "\(code.rawValue): \(reason)" }
}
