import CSodium

/// The one place that initialises libsodium.
///
/// `sodium_init()` is idempotent and thread-safe, but it must run before any other call; every primitive
/// in MeshCore touches `Sodium.ready` first so no caller can forget it.
enum Sodium {
    /// Evaluated once (Swift guarantees thread-safe lazy initialisation of globals and statics).
    static let ready: Bool = {
        let result = sodium_init()
        // 0 = initialised now, 1 = already initialised; -1 means the library cannot be used at all.
        precondition(result >= 0, "libsodium failed to initialise")
        return true
    }()

    @inline(__always)
    static func ensure() {
        _ = ready
    }
}

/// A valid address for zero-length input. libsodium's headers mark some pointers non-null even when the length
/// is zero (and never read through them then). `nonisolated(unsafe)` is sound: the byte is never written.
nonisolated(unsafe) private let emptyInput = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)

extension UnsafeRawBufferPointer {
    /// The start address as libsodium wants it: never nil, even for an empty buffer.
    var sodiumPointer: UnsafePointer<UInt8> {
        guard let base = baseAddress, count > 0 else { return UnsafePointer(emptyInput) }
        return base.assumingMemoryBound(to: UInt8.self)
    }
}
