import CSodium

/// Where every random choice in MeshPeer comes from.
///
/// Protocol cores take a `RandomSource` instead of calling the system generator, so a test or the simulator
/// can replay a run exactly from a seed (design rule 3). It is also a `RandomNumberGenerator`, so the standard
/// library's `Int.random(in:using:)` and `shuffled(using:)` work with it.
public protocol RandomSource: RandomNumberGenerator, Sendable {
    /// Fills `buffer` with random bytes.
    mutating func fill(_ buffer: UnsafeMutableRawBufferPointer)
}

extension RandomSource {
    public mutating func bytes(count: Int) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: count)
        result.withUnsafeMutableBytes { fill($0) }
        return result
    }

    /// Random bytes that go straight into zeroed-on-release memory (for keys and seeds).
    public mutating func secureBytes(count: Int) -> SecureBytes {
        var copy = self
        let secret = SecureBytes(count: count) { copy.fill($0) }
        self = copy
        return secret
    }

    public mutating func next() -> UInt64 {
        var value: UInt64 = 0
        withUnsafeMutableBytes(of: &value) { fill($0) }
        return value
    }
}

/// The operating system's CSPRNG through libsodium (`getrandom(2)` on Linux). The production source.
public struct SystemRandom: RandomSource {
    public init() { Sodium.ensure() }

    public mutating func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        randombytes_buf(base, buffer.count)
    }
}
