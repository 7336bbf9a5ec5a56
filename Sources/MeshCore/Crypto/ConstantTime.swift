import CSodium

/// Comparisons whose running time does not depend on the contents being compared.
public enum ConstantTime {
    /// Equal length and equal bytes. The length check leaks only the lengths, which are public for every value
    /// we compare (MACs, tags, tokens, keys).
    public static func equals(_ lhs: UnsafeRawBufferPointer, _ rhs: UnsafeRawBufferPointer) -> Bool {
        Sodium.ensure()
        guard lhs.count == rhs.count else { return false }
        guard lhs.count > 0 else { return true }
        return sodium_memcmp(lhs.baseAddress!, rhs.baseAddress!, lhs.count) == 0
    }

    public static func equals<A: ContiguousByteStorage, B: ContiguousByteStorage>(_ lhs: A, _ rhs: B) -> Bool {
        lhs.withUnsafeBytes { l in rhs.withUnsafeBytes { r in equals(l, r) } }
    }
}

/// Anything that can lend its bytes without copying (arrays, slices, secure buffers).
public protocol ContiguousByteStorage {
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}

extension Array: ContiguousByteStorage where Element == UInt8 {}
extension ArraySlice: ContiguousByteStorage where Element == UInt8 {}
extension SecureBytes: ContiguousByteStorage {}

/// Zeroes an array in a way the optimiser cannot remove.
public func secureZero(_ bytes: inout [UInt8]) {
    Sodium.ensure()
    bytes.withUnsafeMutableBytes { buffer in
        if let base = buffer.baseAddress { sodium_memzero(base, buffer.count) }
    }
}
