import CSodium

/// A hash function usable inside HMAC and HKDF.
public protocol HashFunction {
    static var byteCount: Int { get }
    static var blockByteCount: Int { get }
    static func hash<M: ContiguousByteStorage>(_ message: M) -> [UInt8]
}

public enum SHA256: HashFunction {
    public static let byteCount = Int(crypto_hash_sha256_BYTES)
    public static let blockByteCount = 64

    public static func hash<M: ContiguousByteStorage>(_ message: M) -> [UInt8] {
        Sodium.ensure()
        var out = [UInt8](repeating: 0, count: byteCount)
        message.withUnsafeBytes { bytes in
            _ = crypto_hash_sha256(&out, bytes.bindMemory(to: UInt8.self).baseAddress, UInt64(bytes.count))
        }
        return out
    }
}

public enum SHA512: HashFunction {
    public static let byteCount = Int(crypto_hash_sha512_BYTES)
    public static let blockByteCount = 128

    public static func hash<M: ContiguousByteStorage>(_ message: M) -> [UInt8] {
        Sodium.ensure()
        var out = [UInt8](repeating: 0, count: byteCount)
        message.withUnsafeBytes { bytes in
            _ = crypto_hash_sha512(&out, bytes.bindMemory(to: UInt8.self).baseAddress, UInt64(bytes.count))
        }
        return out
    }
}

/// BLAKE2b (RFC 7693), libsodium's generic hash: fast, with an optional key and 16-64 byte output.
public enum BLAKE2b {
    public static let minimumOutputByteCount = Int(crypto_generichash_BYTES_MIN)
    public static let maximumOutputByteCount = Int(crypto_generichash_BYTES_MAX)
    public static let maximumKeyByteCount = Int(crypto_generichash_KEYBYTES_MAX)

    /// `outputByteCount` is clamped to 16...64 and a key is truncated to 64 bytes; callers use constants.
    public static func hash<M: ContiguousByteStorage>(
        _ message: M,
        outputByteCount: Int = 32,
        key: [UInt8] = []
    ) -> [UInt8] {
        Sodium.ensure()
        let length = min(max(outputByteCount, minimumOutputByteCount), maximumOutputByteCount)
        let usableKey = Array(key.prefix(maximumKeyByteCount))
        var out = [UInt8](repeating: 0, count: length)
        message.withUnsafeBytes { bytes in
            _ = crypto_generichash(
                &out,
                length,
                bytes.bindMemory(to: UInt8.self).baseAddress,
                UInt64(bytes.count),
                usableKey.isEmpty ? nil : usableKey,
                usableKey.count
            )
        }
        return out
    }
}
