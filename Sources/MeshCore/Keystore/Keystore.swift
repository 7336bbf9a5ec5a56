/// The agent's data directory and the identity key inside it.
///
/// The directory is `~/.meshpeer` unless `--home` or `MESHPEER_HOME` says otherwise. It is created `0700`;
/// `identity.key` is `0600`. Keys never leave this directory (and never leave the machine).
public struct Keystore: Sendable {
    public static let identityFileName = "identity.key"

    public let home: String

    public init(home: String) {
        self.home = home
    }

    /// `explicit` (a `--home` flag) wins, then `MESHPEER_HOME`, then `$HOME/.meshpeer`.
    public static func resolveHome(explicit: String?, environment: [String: String]) -> String {
        if let explicit, !explicit.isEmpty { return explicit }
        if let fromEnvironment = environment["MESHPEER_HOME"], !fromEnvironment.isEmpty { return fromEnvironment }
        let userHome = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? "."
        return userHome + "/.meshpeer"
    }

    public var identityPath: String { home + "/" + Keystore.identityFileName }

    public var hasIdentity: Bool { SecureFile.exists(identityPath) }

    /// Creates a new identity. Refuses to replace an existing one: losing a key loses the agent.
    @discardableResult
    public func createIdentity<R: RandomSource>(
        passphrase: SecureBytes?,
        cost: PasswordHash.Cost = .moderate,
        random: inout R
    ) throws -> AgentIdentity {
        if hasIdentity {
            throw KeystoreError(.alreadyExists, "an identity already exists at \(identityPath); refusing to replace it")
        }
        try SecureFile.makeDirectory(home)
        let key = Ed25519.PrivateKey(using: &random)
        let file = try KeyFile.protecting(key, passphrase: passphrase, cost: cost, random: &random)
        var bytes = file.encoded()
        defer { secureZero(&bytes) }
        try SecureFile.createExclusive(at: identityPath, contents: bytes)
        return try AgentIdentity(signingKey: key)
    }

    /// Reads the key file without unlocking it (to learn whether a passphrase is needed).
    public func readIdentityFile() throws -> KeyFile {
        var bytes = try SecureFile.readPrivate(at: identityPath, maximumByteCount: KeyFile.maximumByteCount)
        defer { secureZero(&bytes) }
        do {
            return try KeyFile(decoding: bytes)
        } catch let error as WireError {
            throw KeystoreError(.corrupt, "\(identityPath) is corrupt (\(error)); restore it from a backup")
        } catch {
            throw KeystoreError(.corrupt, "\(identityPath) is corrupt (\(error)); restore it from a backup")
        }
    }

    public func loadIdentity(passphrase: SecureBytes?) throws -> AgentIdentity {
        let file = try readIdentityFile()
        return try AgentIdentity(signingKey: file.unlock(passphrase: passphrase))
    }
}
