/// The owner's key directory: a person's Ed25519 key that certifies their agents (decision 0093).
///
/// Kept apart from any agent's data directory (`~/.meshpeer-owner` unless `--owner-home` or `MESHPEER_OWNER_HOME`
/// says otherwise), so an agent that is compromised does not hold the key that vouches for it. The directory is
/// `0700`, `owner.key` is `0600` and uses the agent key's file format (`KeyFile`), optionally sealed under a
/// passphrase the same way.
public struct OwnerKeystore: Sendable {
    public static let keyFileName = "owner.key"

    public let home: String

    public init(home: String) {
        self.home = home
    }

    /// `explicit` (an `--owner-home` flag) wins, then `MESHPEER_OWNER_HOME`, then `$HOME/.meshpeer-owner`.
    public static func resolveHome(explicit: String?, environment: [String: String]) -> String {
        if let explicit, !explicit.isEmpty { return explicit }
        if let fromEnvironment = environment["MESHPEER_OWNER_HOME"], !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        let userHome = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? "."
        return userHome + "/.meshpeer-owner"
    }

    public var keyPath: String { home + "/" + OwnerKeystore.keyFileName }

    public var hasKey: Bool { SecureFile.exists(keyPath) }

    /// Creates the owner key. Refuses to replace one: every certificate it signed would be orphaned.
    @discardableResult
    public func createKey<R: RandomSource>(
        passphrase: SecureBytes?,
        cost: PasswordHash.Cost = .moderate,
        random: inout R
    ) throws -> Ed25519.PublicKey {
        if hasKey {
            throw KeystoreError(.alreadyExists, "an owner key already exists at \(keyPath); refusing to replace it")
        }
        try SecureFile.makeDirectory(home)
        let key = Ed25519.PrivateKey(using: &random)
        let file = try KeyFile.protecting(key, passphrase: passphrase, cost: cost, random: &random)
        var bytes = file.encoded()
        defer { secureZero(&bytes) }
        try SecureFile.createExclusive(at: keyPath, contents: bytes)
        return key.publicKey
    }

    /// Reads the key file without unlocking it (to learn whether a passphrase is needed).
    public func readKeyFile() throws -> KeyFile {
        var bytes = try SecureFile.readPrivate(at: keyPath, maximumByteCount: KeyFile.maximumByteCount)
        defer { secureZero(&bytes) }
        do {
            return try KeyFile(decoding: bytes)
        } catch {
            throw KeystoreError(.corrupt, "\(keyPath) is corrupt (\(error)); restore it from a backup")
        }
    }

    public func loadKey(passphrase: SecureBytes?) throws -> Ed25519.PrivateKey {
        try readKeyFile().unlock(passphrase: passphrase)
    }
}
