import CSodium

/// HMAC (RFC 2104) over SHA-256 or SHA-512.
///
/// libsodium's `crypto_auth_hmacsha256` takes keys of any length through its `_init` API; we use that API so the
/// result is standard HMAC for every key length (RFC 4231 test case 6 uses a 131-byte key).
public enum HMAC<H: HMACHash> {
    public static func authenticationCode<M: ContiguousByteStorage, K: ContiguousByteStorage>(
        for message: M,
        key: K
    ) -> [UInt8] {
        Sodium.ensure()
        return key.withUnsafeBytes { keyBytes in
            message.withUnsafeBytes { messageBytes in
                H.hmac(key: keyBytes, message: messageBytes)
            }
        }
    }

    /// Constant-time verification of a received code.
    public static func isValid<M: ContiguousByteStorage, K: ContiguousByteStorage>(
        _ code: [UInt8],
        for message: M,
        key: K
    ) -> Bool {
        ConstantTime.equals(authenticationCode(for: message, key: key), code)
    }
}

/// Hash functions that libsodium offers as a streaming HMAC.
public protocol HMACHash: HashFunction {
    static func hmac(key: UnsafeRawBufferPointer, message: UnsafeRawBufferPointer) -> [UInt8]
}

extension SHA256: HMACHash {
    public static func hmac(key: UnsafeRawBufferPointer, message: UnsafeRawBufferPointer) -> [UInt8] {
        var state = crypto_auth_hmacsha256_state()
        var out = [UInt8](repeating: 0, count: byteCount)
        _ = crypto_auth_hmacsha256_init(&state, key.sodiumPointer, key.count)
        _ = crypto_auth_hmacsha256_update(&state, message.sodiumPointer, UInt64(message.count))
        _ = crypto_auth_hmacsha256_final(&state, &out)
        withUnsafeMutableBytes(of: &state) { sodium_memzero($0.baseAddress!, $0.count) }
        return out
    }
}

extension SHA512: HMACHash {
    public static func hmac(key: UnsafeRawBufferPointer, message: UnsafeRawBufferPointer) -> [UInt8] {
        var state = crypto_auth_hmacsha512_state()
        var out = [UInt8](repeating: 0, count: byteCount)
        _ = crypto_auth_hmacsha512_init(&state, key.sodiumPointer, key.count)
        _ = crypto_auth_hmacsha512_update(&state, message.sodiumPointer, UInt64(message.count))
        _ = crypto_auth_hmacsha512_final(&state, &out)
        withUnsafeMutableBytes(of: &state) { sodium_memzero($0.baseAddress!, $0.count) }
        return out
    }
}
