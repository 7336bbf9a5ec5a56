import MeshCore

/// BEP 5 write tokens: a write must carry a token we handed to the same address in a recent reply.
///
/// token = first 16 bytes of HMAC-SHA256(secret, address). The secret rotates every `tokenRotationInterval`
/// and the previous one is still accepted, so a token lives between one and two intervals. Tokens make a
/// spoofed-source STORE impossible without first receiving our reply at that address.
///
/// The secrets sit in ordinary memory that is zeroed on rotation and on release, not in libsodium's guarded
/// heap: each guarded allocation costs four memory mappings, a 10,000-node simulation would exhaust the
/// kernel's mapping limit, and a token secret only ever protects against source spoofing for five minutes
/// (decision 0026).
public final class WriteTokens {
    public static let byteCount = 16

    private var current: [UInt8]
    private var previous: [UInt8]
    public private(set) var rotatedAt: Timestamp

    public init<R: RandomSource>(using random: inout R, now: Timestamp) {
        current = random.bytes(count: 32)
        previous = random.bytes(count: 32)
        rotatedAt = now
    }

    deinit {
        secureZero(&current)
        secureZero(&previous)
    }

    public func rotate<R: RandomSource>(using random: inout R, now: Timestamp) {
        secureZero(&previous)
        previous = current
        current = random.bytes(count: 32)
        rotatedAt = now
    }

    public func token(for address: TransportAddress) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: address.wireBytes, key: current).prefix(WriteTokens.byteCount))
    }

    public func isValid(_ token: [UInt8], for address: TransportAddress) -> Bool {
        guard token.count == WriteTokens.byteCount else { return false }
        let message = address.wireBytes
        let fromCurrent = Array(HMAC<SHA256>.authenticationCode(for: message, key: current).prefix(16))
        let fromPrevious = Array(HMAC<SHA256>.authenticationCode(for: message, key: previous).prefix(16))
        return ConstantTime.equals(fromCurrent, token) || ConstantTime.equals(fromPrevious, token)
    }
}
