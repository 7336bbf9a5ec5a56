/// Errors raised by MeshCore's cryptographic primitives.
///
/// They cross module boundaries, so they carry a stable code and a human reason (design rule 8).
public struct CryptoError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case invalidKeyLength = "invalid-key-length"
        case invalidNonceLength = "invalid-nonce-length"
        case invalidSignature = "invalid-signature"
        case invalidPublicKey = "invalid-public-key"
        case authenticationFailed = "authentication-failed"
        case weakPublicKey = "weak-public-key"
        case keyConversionFailed = "key-conversion-failed"
        case outputTooLong = "output-too-long"
        case unsupported
        case passwordHashingFailed = "password-hashing-failed"
    }

    public let code: Code
    public let reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "\(code.rawValue): \(reason)" }
}
