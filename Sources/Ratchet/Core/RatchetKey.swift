import MeshCore

/// A 32-byte key of the Double Ratchet's hot path (root, chain, message and header keys), zeroed on release.
///
/// A type of its own so a chain key can never be passed where an identity key or an AEAD key of another layer is
/// expected (design rule 7). The bytes live in MeshCore's `SecureBytes` (ordinary heap memory, zeroed when the
/// last reference goes); see docs/decisions/0014-hot-path-keys.md for why no guarded allocation is made per key.
public struct RatchetKey: Sendable, ContiguousByteStorage {
    public static let byteCount = 32

    let storage: SecureBytes

    /// Copies `bytes` into zeroed-on-release storage and zeroes them. Precondition: 32 bytes. Callers pass KDF
    /// outputs they do not keep: the array is consumed, so when it is a temporary (the usual case) the buffer
    /// zeroed is the one that held the key. A caller that still holds the array keeps its own copy (value
    /// semantics) and must zero it itself, or use `init(wiping:)`.
    init(consuming bytes: consuming [UInt8]) {
        self.init(wiping: &bytes)
    }

    /// Copies `bytes` into zeroed-on-release storage and zeroes the caller's buffer in place.
    init(wiping bytes: inout [UInt8]) {
        precondition(bytes.count == RatchetKey.byteCount, "a ratchet key is 32 bytes")
        storage = SecureBytes(bytes)
        secureZero(&bytes)
    }

    /// The X3DH secret becomes the first root key.
    public init(_ secure: SecureBytes) {
        precondition(secure.count == RatchetKey.byteCount, "a ratchet key is 32 bytes")
        storage = secure
    }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try storage.withUnsafeBytes(body)
    }

    /// A copy of the key (tests and the state codec only; zero it after use).
    func copyBytes() -> [UInt8] { storage.copyBytes() }

    public func constantTimeEquals(_ other: RatchetKey) -> Bool {
        ConstantTime.equals(self, other)
    }
}

extension RatchetKey: CustomStringConvertible {
    /// Never prints the key.
    public var description: String { "RatchetKey(redacted)" }
}
