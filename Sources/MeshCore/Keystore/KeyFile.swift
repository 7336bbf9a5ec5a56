/// The on-disk form of an identity key (`identity.key`).
///
/// ```
/// "MPKF" | version u8 (1) | kind u8 (1 = Ed25519 identity) | protection u8 | public key (32)
/// protection 0 (plain):              seed (32)
/// protection 1 (argon2id+secretbox): opslimit u64 | memlimit u64 | salt (16) | nonce (24) | sealed seed (48)
/// ```
/// The public key is stored beside the seed so that a load can check the seed still derives it: a flipped bit
/// anywhere is reported as corruption instead of silently becoming a different identity.
public struct KeyFile: Sendable {
    public enum Protection: Sendable {
        case plain(seed: SecureBytes)
        case passphrase(cost: PasswordHash.Cost, salt: [UInt8], nonce: [UInt8], sealedSeed: [UInt8])
    }

    static let magic = Array("MPKF".utf8)
    static let version: UInt8 = 1
    static let identityKind: UInt8 = 1
    /// No valid key file is larger; anything bigger is rejected before it is read into memory.
    public static let maximumByteCount = 512

    public var publicKey: Ed25519.PublicKey
    public var protection: Protection

    public init(publicKey: Ed25519.PublicKey, protection: Protection) {
        self.publicKey = publicKey
        self.protection = protection
    }

    public func encoded() -> [UInt8] {
        var writer = WireWriter(capacity: 160)
        writer.write(raw: KeyFile.magic)
        writer.write(KeyFile.version)
        writer.write(KeyFile.identityKind)
        switch protection {
        case .plain(let seed):
            writer.write(UInt8(0))
            writer.write(raw: publicKey.rawRepresentation)
            // Straight from the zeroed-on-release storage: no intermediate array holding the seed.
            seed.withUnsafeBytes { writer.write(raw: $0) }
        case .passphrase(let cost, let salt, let nonce, let sealed):
            writer.write(UInt8(1))
            writer.write(raw: publicKey.rawRepresentation)
            writer.write(cost.operations)
            writer.write(cost.memoryBytes)
            writer.write(raw: salt)
            writer.write(raw: nonce)
            writer.write(raw: sealed)
        }
        return writer.bytes
    }

    /// Strict decoding of untrusted file contents.
    public init(decoding bytes: [UInt8]) throws {
        guard bytes.count <= KeyFile.maximumByteCount else {
            throw WireError(.oversize, at: 0, "key file is \(bytes.count) bytes; at most \(KeyFile.maximumByteCount)")
        }
        var reader = WireReader(bytes)
        guard try reader.readBytes(4) == KeyFile.magic else {
            throw WireError(.badMagic, at: 0, "not a MeshPeer key file")
        }
        let version = try reader.readUInt8()
        guard version == KeyFile.version else {
            throw WireError(.unsupportedVersion, at: 4, "key file version \(version) is not supported")
        }
        let kind = try reader.readUInt8()
        guard kind == KeyFile.identityKind else {
            throw WireError(.invalidValue, at: 5, "unknown key kind \(kind)")
        }
        let protectionTag = try reader.readUInt8()
        publicKey = try Ed25519.PublicKey(rawRepresentation: reader.readBytes(Ed25519.publicKeyByteCount))
        switch protectionTag {
        case 0:
            var seed = try reader.readBytes(Ed25519.seedByteCount)
            defer { secureZero(&seed) }
            protection = .plain(seed: SecureBytes(seed))
        case 1:
            let cost = PasswordHash.Cost(operations: try reader.readUInt64(), memoryBytes: try reader.readUInt64())
            guard cost.isWithinCeiling else {
                throw WireError(.invalidValue, at: reader.position - 16, "passphrase cost outside the accepted range")
            }
            let salt = try reader.readBytes(PasswordHash.saltByteCount)
            let nonce = try reader.readBytes(SecretBox.nonceByteCount)
            let sealed = try reader.readBytes(Ed25519.seedByteCount + SecretBox.tagByteCount)
            protection = .passphrase(cost: cost, salt: salt, nonce: nonce, sealedSeed: sealed)
        default:
            throw WireError(.invalidValue, at: 6, "unknown protection \(protectionTag)")
        }
        try reader.expectEnd()
    }

    public var isPassphraseProtected: Bool {
        if case .passphrase = protection { return true }
        return false
    }

    /// Seals `key` under `passphrase` (nil = stored in the clear, protected by file permissions only).
    public static func protecting<R: RandomSource>(
        _ key: Ed25519.PrivateKey,
        passphrase: SecureBytes?,
        cost: PasswordHash.Cost = .moderate,
        random: inout R
    ) throws -> KeyFile {
        guard let passphrase else {
            return KeyFile(publicKey: key.publicKey, protection: .plain(seed: key.seed))
        }
        let salt = random.bytes(count: PasswordHash.saltByteCount)
        let nonce = random.bytes(count: SecretBox.nonceByteCount)
        let wrappingKey = try PasswordHash.deriveKey(passphrase: passphrase, salt: salt, cost: cost)
        let sealed = try SecretBox.seal(key.seed, key: wrappingKey, nonce: nonce)
        return KeyFile(
            publicKey: key.publicKey,
            protection: .passphrase(cost: cost, salt: salt, nonce: nonce, sealedSeed: sealed)
        )
    }

    /// Recovers the key, checking that it still matches the stored public key.
    public func unlock(passphrase: SecureBytes?) throws -> Ed25519.PrivateKey {
        let seed: SecureBytes
        switch protection {
        case .plain(let plainSeed):
            seed = plainSeed
        case .passphrase(let cost, let salt, let nonce, let sealed):
            guard let passphrase else {
                throw KeystoreError(.passphraseRequired, "this key file is protected by a passphrase")
            }
            let wrappingKey = try PasswordHash.deriveKey(passphrase: passphrase, salt: salt, cost: cost)
            do {
                seed = try SecretBox.open(sealed, key: wrappingKey, nonce: nonce)
            } catch {
                throw KeystoreError(.wrongPassphrase, "wrong passphrase (or the key file was altered)")
            }
        }
        let key = try Ed25519.PrivateKey(seed: seed)
        guard ConstantTime.equals(key.publicKey.rawRepresentation, publicKey.rawRepresentation) else {
            throw KeystoreError(.corrupt, "the stored secret no longer matches the stored public key")
        }
        return key
    }
}
