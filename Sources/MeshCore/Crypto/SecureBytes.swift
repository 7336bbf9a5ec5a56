import CSodium

/// Secret bytes that are wiped from memory when the last reference goes away.
///
/// A value type wraps reference storage so copies share one allocation and nothing copies a secret into an
/// ordinary, unzeroed array by accident. The storage is zeroed with `sodium_memzero` (which the optimiser cannot
/// elide) before it is freed. It comes from the ordinary heap, not libsodium's guarded heap: `sodium_malloc` costs
/// an mmap, two mprotects and an mlock per allocation (measured: it made HKDF 25 times slower), and the ratchet
/// derives several keys per message. Long-lived secrets (the identity seed) are few; swap should be encrypted on
/// machines that hold keys (docs/threat-model.md).
public struct SecureBytes: Sendable {
    @usableFromInline let storage: Storage

    /// Copies `bytes` into zeroed-on-release memory. The caller should zero its own copy if it was secret.
    public init<Bytes: Collection>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        storage = Storage(count: bytes.count)
        storage.withUnsafeMutableBytes { destination in
            destination.copyBytes(from: bytes)
        }
    }

    /// Allocates `count` bytes and lets `fill` write them in place, so a secret never exists outside zeroed-on-release memory.
    public init(count: Int, fill: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
        storage = Storage(count: count)
        try storage.withUnsafeMutableBytes { try fill($0) }
    }

    public var count: Int { storage.count }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try storage.withUnsafeBytes(body)
    }

    /// Copies the secret out. Use only where an API needs an array (and zero it afterwards).
    public func copyBytes() -> [UInt8] {
        withUnsafeBytes { Array($0) }
    }

    /// Constant-time equality; two buffers of different length are unequal.
    public func constantTimeEquals(_ other: SecureBytes) -> Bool {
        withUnsafeBytes { lhs in other.withUnsafeBytes { rhs in ConstantTime.equals(lhs, rhs) } }
    }

    /// Reference storage. `@unchecked Sendable` is sound because the bytes are written only inside the
    /// initialiser (before the instance is shared) and are read-only afterwards; `deinit` runs when no
    /// reference remains, so no thread can observe the zeroing.
    @usableFromInline
    final class Storage: @unchecked Sendable {
        private let pointer: UnsafeMutableRawPointer?
        let count: Int

        init(count: Int) {
            Sodium.ensure()
            precondition(count >= 0, "negative secret length")
            self.count = count
            if count == 0 {
                pointer = nil
            } else {
                pointer = UnsafeMutableRawPointer.allocate(byteCount: count, alignment: 16)
            }
        }

        deinit {
            if let pointer {
                sodium_memzero(pointer, count)
                pointer.deallocate()
            }
        }

        func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
            try body(UnsafeRawBufferPointer(start: pointer, count: count))
        }

        func withUnsafeMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
            try body(UnsafeMutableRawBufferPointer(start: pointer, count: count))
        }
    }
}

extension SecureBytes: CustomStringConvertible, CustomDebugStringConvertible {
    /// Never prints the secret, so a key can't leak into a log through string interpolation.
    public var description: String { "SecureBytes(\(count) bytes, redacted)" }
    public var debugDescription: String { description }
}
