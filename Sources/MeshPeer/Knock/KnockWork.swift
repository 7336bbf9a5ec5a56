import MeshCore

/// The knock's proof of work (hashcash over BLAKE2b): the sender searches a nonce such that
/// `BLAKE2b-256(len ‖ "meshpeer/v1/knock-work" ‖ BLAKE2b-256(fields before the nonce) ‖ nonce (u64 BE))` starts
/// with `difficulty` zero bits. The fields are hashed once, so each attempt hashes 63 bytes whatever the knock's size.
///
/// The search is bounded by the difficulty: at most `maximumDifficulty` (24) bits, about 16.8 million attempts on
/// average (seconds on one core), and `solve` clamps anything higher, so a record that asks for more cannot make a
/// sender spin forever (its knock then fails the recipient's check instead).
public enum KnockWork {
    public static let maximumDifficulty: UInt8 = 24
    public static let label = "meshpeer/v1/knock-work"

    static func digest(_ workBytes: [UInt8]) -> [UInt8] {
        BLAKE2b.hash(workBytes, outputByteCount: 32)
    }

    /// The attempt hash for one nonce.
    static func attempt(digest: [UInt8], nonce: UInt64) -> [UInt8] {
        var writer = WireWriter(capacity: 1 + label.utf8.count + digest.count + 8)
        writer.writeString(label, .uint8)
        writer.write(raw: digest)
        writer.write(nonce)
        return BLAKE2b.hash(writer.bytes, outputByteCount: 32)
    }

    static func meets(digest: [UInt8], nonce: UInt64, difficulty: UInt8) -> Bool {
        leadingZeroBits(attempt(digest: digest, nonce: nonce)) >= Int(difficulty)
    }

    /// The first nonce from `start` (wrapping) that meets `min(difficulty, maximumDifficulty)`.
    static func solve(digest: [UInt8], difficulty: UInt8, start: UInt64) -> UInt64 {
        let bits = min(difficulty, maximumDifficulty)
        var nonce = start
        // Each attempt succeeds with probability 2^-bits (at least 2^-24): the loop ends long before it wraps.
        while !meets(digest: digest, nonce: nonce, difficulty: bits) { nonce &+= 1 }
        return nonce
    }

    static func leadingZeroBits(_ hash: [UInt8]) -> Int {
        var count = 0
        for byte in hash {
            if byte == 0 {
                count += 8
            } else {
                return count + byte.leadingZeroBitCount
            }
        }
        return count
    }
}
