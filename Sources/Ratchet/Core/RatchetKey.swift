import MeshCore

/// A 32-byte key of the Double Ratchet's hot path (root, chain, message and header keys), zeroed on release.
///
/// Not `SecureBytes`: these keys change with every message, and a guarded allocation (mmap, mprotect, mlock)
/// costs far more than the HMACs and the AEAD that use the key. They live in ordinary heap memory that is zeroed
/// when the last reference goes; long-term secrets (identity, prekeys) stay in `SecureBytes`.
/// See docs/decisions/0014-hot-path-keys.md.
public struct RatchetKey: Sendable, ContiguousByteStorage {
    public static let byteCount = 32

    /// `@unchecked Sendable` is sound: `bytes` is written only in `init` (before the instance is shared) and in
    /// `deinit` (when no other reference exists); in between it is read-only.
    final class Storage: @unchecked Sendable {
        var bytes: [UInt8]

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        deinit { secureZero(&bytes) }
    }

    let storage: Storage

    /// Takes ownership of `bytes` (the caller drops its copy). Precondition: 32 bytes.
    init(consuming bytes: [UInt8]) {
        precondition(bytes.count == RatchetKey.byteCount, "a ratchet key is 32 bytes")
        storage = Storage(bytes)
    }

    /// Copies a key out of guarded memory (the X3DH secret becomes the first root key).
    public init(_ secure: SecureBytes) {
        precondition(secure.count == RatchetKey.byteCount, "a ratchet key is 32 bytes")
        storage = Storage(secure.copyBytes())
    }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try storage.bytes.withUnsafeBytes(body)
    }

    /// A copy of the key (tests and the state codec only; zero it after use).
    func copyBytes() -> [UInt8] { storage.bytes }

    public func constantTimeEquals(_ other: RatchetKey) -> Bool {
        ConstantTime.equals(self, other)
    }
}

extension RatchetKey: CustomStringConvertible {
    /// Never prints the key.
    public var description: String { "RatchetKey(redacted)" }
}
