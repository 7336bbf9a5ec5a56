import MeshCore

/// BEP 5 write tokens: a write must carry a token we handed to the same address in a recent reply.
///
/// token = first 16 bytes of HMAC-SHA256(secret, address). The secret rotates every `tokenRotationInterval`
/// and the previous one is still accepted, so a token lives between one and two intervals. Tokens make a
/// spoofed-source STORE impossible without first receiving our reply at that address.
public struct WriteTokens: Sendable {
    public static let byteCount = 16

    /// Current secret ‖ previous secret, in one guarded allocation (a simulator runs 10,000 nodes, and each
    /// guarded allocation costs memory mappings).
    private var secrets: SecureBytes
    public private(set) var rotatedAt: Timestamp

    public init<R: RandomSource>(using random: inout R, now: Timestamp) {
        secrets = random.secureBytes(count: 64)
        rotatedAt = now
    }

    public mutating func rotate<R: RandomSource>(using random: inout R, now: Timestamp) {
        let fresh = random.secureBytes(count: 32)
        let old = secrets
        secrets = SecureBytes(count: 64) { target in
            fresh.withUnsafeBytes { target.copyMemory(from: $0) }
            old.withUnsafeBytes {
                UnsafeMutableRawBufferPointer(rebasing: target[32...]).copyMemory(
                    from: UnsafeRawBufferPointer(rebasing: $0[..<32])
                )
            }
        }
        rotatedAt = now
    }

    public func token(for address: PeerAddress) -> [UInt8] {
        token(for: address, secret: 0)
    }

    public func isValid(_ token: [UInt8], for address: PeerAddress) -> Bool {
        guard token.count == WriteTokens.byteCount else { return false }
        let matchesCurrent = ConstantTime.equals(self.token(for: address, secret: 0), token)
        let matchesPrevious = ConstantTime.equals(self.token(for: address, secret: 1), token)
        return matchesCurrent || matchesPrevious
    }

    /// HMAC over the address under secret `index` (0 current, 1 previous), read in place from guarded memory.
    private func token(for address: PeerAddress, secret index: Int) -> [UInt8] {
        let message = address.wireBytes
        return secrets.withUnsafeBytes { all in
            message.withUnsafeBytes { bytes in
                let key = UnsafeRawBufferPointer(rebasing: all[(index * 32)..<(index * 32 + 32)])
                return Array(SHA256.hmac(key: key, message: bytes).prefix(WriteTokens.byteCount))
            }
        }
    }
}
