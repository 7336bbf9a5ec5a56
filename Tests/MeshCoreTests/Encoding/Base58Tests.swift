import MeshCore
import Testing

/// The limb-wise Base58 against the digit-at-a-time definition (the code it replaced, kept here as the
/// reference): the same text for every byte string, the same bytes or the same refusal for every text.
@Suite struct Base58Tests {
    static let alphabet = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz".utf8)

    static func referenceEncode(_ bytes: [UInt8]) -> String {
        let zeros = bytes.prefix { $0 == 0 }.count
        var digits: [UInt8] = []
        for byte in bytes.dropFirst(zeros) {
            var carry = Int(byte)
            for index in digits.indices.reversed() {
                carry += Int(digits[index]) << 8
                digits[index] = UInt8(carry % 58)
                carry /= 58
            }
            while carry > 0 {
                digits.insert(UInt8(carry % 58), at: 0)
                carry /= 58
            }
        }
        return String(
            decoding: [UInt8](repeating: alphabet[0], count: zeros) + digits.map { alphabet[Int($0)] },
            as: UTF8.self
        )
    }

    static func referenceDecode(_ text: String) -> [UInt8]? {
        let characters = Array(text.utf8)
        guard characters.count <= Base58.maximumDecodedTextLength else { return nil }
        let zeros = characters.prefix { $0 == alphabet[0] }.count
        var bytes: [UInt8] = []
        for character in characters.dropFirst(zeros) {
            guard let value = alphabet.firstIndex(of: character) else { return nil }
            var carry = value
            for index in bytes.indices.reversed() {
                carry += Int(bytes[index]) * 58
                bytes[index] = UInt8(carry & 0xFF)
                carry >>= 8
            }
            while carry > 0 {
                bytes.insert(UInt8(carry & 0xFF), at: 0)
                carry >>= 8
            }
        }
        return [UInt8](repeating: 0, count: zeros) + bytes
    }

    @Test func encodesAsTheReferenceDoes() {
        var random = SeededRandom(seed: 58)
        var cases: [[UInt8]] = [[], [0], [0, 0], [0, 0, 1], [255], [1, 0], [UInt8](repeating: 255, count: 93)]
        for length in 0...93 {
            for _ in 0..<8 {
                var bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                // Leading zeros, which become leading '1's.
                if length > 2, random.next() % 3 == 0 { bytes[0] = 0 }
                if length > 2, random.next() % 5 == 0 { bytes[1] = 0 }
                cases.append(bytes)
            }
        }
        for bytes in cases {
            let text = Base58.encode(bytes)
            #expect(text == Self.referenceEncode(bytes), "\(bytes)")
            #expect(Base58.decode(text) == bytes, "\(bytes)")
        }
    }

    @Test func decodesAsTheReferenceDoes() {
        var random = SeededRandom(seed: 85)
        let symbols = Self.alphabet + Array("0OIl+/ \u{0}".utf8)
        var texts = ["", "1", "11", "1112", "z", "zzzzzzzzzz", "0", "l", String(repeating: "z", count: 128)]
        texts.append(String(repeating: "z", count: 129))
        for length in 0...130 {
            for _ in 0..<6 {
                let bytes = (0..<length).map { _ in
                    // Mostly alphabet characters, now and then one outside it.
                    random.next() % 40 == 0
                        ? symbols[Self.alphabet.count + Int(random.next() % 8)]
                        : Self.alphabet[Int(random.next() % 58)]
                }
                texts.append(String(decoding: bytes, as: UTF8.self))
            }
        }
        for text in texts {
            #expect(Base58.decode(text) == Self.referenceDecode(text), "\(text)")
        }
    }
}
