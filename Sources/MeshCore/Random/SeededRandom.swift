import CSodium

/// A deterministic generator for tests and the simulator: the ChaCha20 keystream of a 32-byte seed.
///
/// Same seed, same sequence, on every machine. Never use it for real keys: anyone who knows the seed knows
/// every value it will ever produce.
public struct SeededRandom: RandomSource {
    private var seed: [UInt8]
    private var buffer: [UInt8] = []
    private var position = 0
    private var blockCounter: UInt64 = 0

    /// A 32-byte seed expanded from a small integer, for readable tests (`SeededRandom(seed: 42)`).
    public init(seed: UInt64) {
        var expanded = [UInt8](repeating: 0, count: 32)
        withUnsafeBytes(of: seed.littleEndian) { raw in
            for (index, byte) in raw.enumerated() { expanded[index] = byte }
        }
        self.init(seedBytes: expanded)
    }

    /// `seedBytes` is hashed to 32 bytes, so any length works.
    public init(seedBytes: [UInt8]) {
        Sodium.ensure()
        seed = BLAKE2b.hash(seedBytes, outputByteCount: 32)
    }

    public mutating func fill(_ target: UnsafeMutableRawBufferPointer) {
        var written = 0
        while written < target.count {
            if position == buffer.count { refill() }
            let take = min(target.count - written, buffer.count - position)
            for offset in 0..<take {
                target[written + offset] = buffer[position + offset]
            }
            written += take
            position += take
        }
    }

    private mutating func refill() {
        // Each refill is one 4 KiB slice of the keystream, selected by a counter used as the nonce.
        var nonce = [UInt8](repeating: 0, count: Int(crypto_stream_chacha20_NONCEBYTES))
        withUnsafeBytes(of: blockCounter.littleEndian) { raw in
            for (index, byte) in raw.enumerated() { nonce[index] = byte }
        }
        blockCounter &+= 1
        buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.count
        buffer.withUnsafeMutableBytes { out in
            _ = crypto_stream_chacha20(out.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(count), nonce, seed)
        }
        position = 0
    }
}
