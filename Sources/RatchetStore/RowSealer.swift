import Foundation
import MeshCore
import Ratchet

/// Seals one row's state: `nonce (24, random) ‖ XChaCha20-Poly1305(key, nonce, state, AD = table ‖ 0 ‖ row key)`.
///
/// The associated data binds a row to its table and primary key, so rows cannot be swapped between peers.
struct RowSealer: Sendable {
    let key: SecureBytes

    init(key: SecureBytes) throws {
        guard key.count == XChaCha20Poly1305.keyByteCount else {
            throw RatchetError(.invalidKey, "the store key is 32 bytes")
        }
        self.key = key
    }

    func seal(_ state: SecureBytes, table: String, rowKey: [UInt8]) throws -> Data {
        var random = SystemRandom()
        let nonce = random.bytes(count: XChaCha20Poly1305.nonceByteCount)
        var plain = state.copyBytes()
        defer { secureZero(&plain) }
        let sealed = try XChaCha20Poly1305.seal(plain, key: key, nonce: nonce, authenticating: Self.ad(table, rowKey))
        return Data(nonce + sealed)
    }

    /// Any failure (tampering, a wrong key, truncation) is `corruptState`, which the healer treats as lost state.
    func open(_ data: Data, table: String, rowKey: [UInt8]) throws -> SecureBytes {
        let bytes = [UInt8](data)
        guard bytes.count >= XChaCha20Poly1305.nonceByteCount + XChaCha20Poly1305.tagByteCount else {
            throw RatchetError(.corruptState, "stored row is too short")
        }
        do {
            var plain = try XChaCha20Poly1305.open(
                Array(bytes.dropFirst(XChaCha20Poly1305.nonceByteCount)),
                key: key,
                nonce: Array(bytes.prefix(XChaCha20Poly1305.nonceByteCount)),
                authenticating: Self.ad(table, rowKey)
            )
            defer { secureZero(&plain) }
            return SecureBytes(plain)
        } catch {
            throw RatchetError(.corruptState, "stored row does not authenticate (tampered, or another key)")
        }
    }

    private static func ad(_ table: String, _ rowKey: [UInt8]) -> [UInt8] {
        Array(table.utf8) + [0] + rowKey
    }
}
