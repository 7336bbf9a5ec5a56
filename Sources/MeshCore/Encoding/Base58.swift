/// Base58 with the Bitcoin alphabet (multibase `z`), as did:key uses it.
public enum Base58 {
    private static let alphabet = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz".utf8)
    private static let reverse: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (index, character) in alphabet.enumerated() { table[Int(character)] = Int8(index) }
        return table
    }()

    /// The longest text `decode` accepts. Base58 decoding is quadratic, so the limit keeps hostile input cheap;
    /// 128 characters hold 93 bytes, more than any key we encode.
    public static let maximumDecodedTextLength = 128

    /// 58^9: the encoder's limb. A limb times 256 plus a carry stays below 2^64.
    private static let encodeLimb: UInt64 = 7_427_658_739_644_928
    private static let digitsPerEncodeLimb = 9
    /// 58^1 ... 58^5: the decoder multiplies by up to five digits at once (58^5 < 2^30, so a 32-bit limb times it
    /// plus a carry stays below 2^64).
    private static let decodePowers: [UInt64] = [1, 58, 3_364, 195_112, 11_316_496, 656_356_768]

    /// Every did:key is encoded on each record a node signs or checks, so this works on limbs of nine base-58
    /// digits instead of one digit at a time (the same output: `Base58Tests` checks it against the digit-wise
    /// reference).
    public static func encode(_ bytes: [UInt8]) -> String {
        let zeros = bytes.prefix { $0 == 0 }.count
        // The number in base 58^9, least significant limb first.
        var limbs: [UInt64] = []
        limbs.reserveCapacity(bytes.count / 6 + 1)
        for byte in bytes.dropFirst(zeros) {
            var carry = UInt64(byte)
            for index in limbs.indices {
                let value = limbs[index] << 8 | carry
                limbs[index] = value % encodeLimb
                carry = value / encodeLimb
            }
            while carry > 0 {
                limbs.append(carry % encodeLimb)
                carry /= encodeLimb
            }
        }
        var text = [UInt8](repeating: alphabet[0], count: zeros)
        text.reserveCapacity(zeros + limbs.count * digitsPerEncodeLimb)
        var digits = [UInt8](repeating: 0, count: digitsPerEncodeLimb)
        for (position, limb) in limbs.enumerated().reversed() {
            var value = limb
            for index in (0..<digitsPerEncodeLimb).reversed() {
                digits[index] = UInt8(value % 58)
                value /= 58
            }
            // The most significant limb has no leading zero digits.
            let first = position == limbs.count - 1 ? (digits.firstIndex { $0 != 0 } ?? digitsPerEncodeLimb) : 0
            for digit in digits[first...] { text.append(alphabet[Int(digit)]) }
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Returns nil for characters outside the alphabet or text longer than `maximumDecodedTextLength`.
    public static func decode(_ text: String) -> [UInt8]? {
        let characters = Array(text.utf8)
        guard characters.count <= maximumDecodedTextLength else { return nil }
        let zeros = characters.prefix { $0 == alphabet[0] }.count
        // The number in base 2^32, least significant limb first, fed up to five digits at a time.
        var limbs: [UInt64] = []
        limbs.reserveCapacity(characters.count / 5 + 1)
        var index = zeros
        while index < characters.count {
            let count = min(5, characters.count - index)
            var chunk: UInt64 = 0
            for character in characters[index..<index + count] {
                let value = reverse[Int(character)]
                guard value >= 0 else { return nil }
                chunk = chunk * 58 + UInt64(value)
            }
            index += count
            var carry = chunk
            for limb in limbs.indices {
                let value = limbs[limb] * decodePowers[count] + carry
                limbs[limb] = value & 0xFFFF_FFFF
                carry = value >> 32
            }
            while carry > 0 {
                limbs.append(carry & 0xFFFF_FFFF)
                carry >>= 32
            }
        }
        var bytes = [UInt8](repeating: 0, count: zeros)
        bytes.reserveCapacity(zeros + limbs.count * 4)
        var leading = true
        for limb in limbs.reversed() {
            for shift in stride(from: 24, through: 0, by: -8) {
                let byte = UInt8(truncatingIfNeeded: limb >> UInt64(shift))
                if leading && byte == 0 { continue }
                leading = false
                bytes.append(byte)
            }
        }
        return bytes
    }
}
