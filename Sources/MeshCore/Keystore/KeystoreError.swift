/// Why the keystore refused to read or write a key. Every case says what to do about it.
public struct KeystoreError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case alreadyExists = "already-exists"
        case notFound = "not-found"
        case insecurePermissions = "insecure-permissions"
        case corrupt
        case passphraseRequired = "passphrase-required"
        case wrongPassphrase = "wrong-passphrase"
        case io
    }

    public let code: Code
    public let reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { reason }
}
