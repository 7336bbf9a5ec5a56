/// A strict JSON reader for bytes from the network (cards, JWS headers): RFC 8259 with the I-JSON restrictions
/// RFC 8785 relies on. Duplicate object keys, invalid UTF-8, lone surrogates, numbers outside IEEE 754 doubles,
/// nesting deeper than `maximumDepth` and input longer than the caller's limit are refused, never trapped on.
/// Foundation's decoder keeps one of two duplicate keys silently, so two readers could see two different cards
/// behind one signature; this one refuses the card instead.
public enum StrictJSON {
    public static let maximumDepth = 64

    public static func parse(_ bytes: [UInt8], maximumBytes: Int) throws(CardSignatureError) -> JSONValue {
        guard bytes.count <= maximumBytes else {
            throw CardSignatureError(.tooLarge, "\(bytes.count) bytes of JSON; at most \(maximumBytes)")
        }
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw CardSignatureError(.malformedCard, "not valid UTF-8")
        }
        var reader = Reader(bytes: bytes)
        reader.skipWhitespace()
        let value = try reader.value(depth: 0)
        reader.skipWhitespace()
        guard reader.index == bytes.count else { throw reader.failure("trailing characters after the JSON value") }
        return value
    }

    struct Reader {
        let bytes: [UInt8]
        var index = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        func failure(_ why: String) -> CardSignatureError {
            CardSignatureError(.malformedCard, "\(why) (at byte \(index))")
        }

        var current: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func skipWhitespace() {
            while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { index += 1 }
        }

        mutating func expect(_ literal: String) throws(CardSignatureError) {
            for byte in literal.utf8 {
                guard current == byte else { throw failure("expected \(literal)") }
                index += 1
            }
        }

        mutating func value(depth: Int) throws(CardSignatureError) -> JSONValue {
            guard let byte = current else { throw failure("unexpected end of input") }
            switch byte {
            case UInt8(ascii: "{"): return try object(depth: depth + 1)
            case UInt8(ascii: "["): return try array(depth: depth + 1)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"):
                try expect("true")
                return .bool(true)
            case UInt8(ascii: "f"):
                try expect("false")
                return .bool(false)
            case UInt8(ascii: "n"):
                try expect("null")
                return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
            default: throw failure("unexpected character")
            }
        }

        mutating func object(depth: Int) throws(CardSignatureError) -> JSONValue {
            guard depth <= StrictJSON.maximumDepth else { throw failure("nested deeper than \(maximumDepth)") }
            index += 1
            var members: [String: JSONValue] = [:]
            skipWhitespace()
            if current == UInt8(ascii: "}") {
                index += 1
                return .object(members)
            }
            while true {
                skipWhitespace()
                guard current == UInt8(ascii: "\"") else { throw failure("expected a member name") }
                let key = try string()
                skipWhitespace()
                try expect(":")
                skipWhitespace()
                let item = try value(depth: depth)
                // Swift compares strings by canonical equivalence, so two keys that differ only in Unicode
                // normalisation are refused too: refusing is the safe side of that ambiguity.
                guard members.updateValue(item, forKey: key) == nil else { throw failure("duplicate key \"\(key)\"") }
                skipWhitespace()
                if current == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                try expect("}")
                return .object(members)
            }
        }

        mutating func array(depth: Int) throws(CardSignatureError) -> JSONValue {
            guard depth <= StrictJSON.maximumDepth else { throw failure("nested deeper than \(maximumDepth)") }
            index += 1
            var items: [JSONValue] = []
            skipWhitespace()
            if current == UInt8(ascii: "]") {
                index += 1
                return .array(items)
            }
            while true {
                skipWhitespace()
                items.append(try value(depth: depth))
                skipWhitespace()
                if current == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                try expect("]")
                return .array(items)
            }
        }

        mutating func number() throws(CardSignatureError) -> Double {
            let start = index
            if current == UInt8(ascii: "-") { index += 1 }
            if current == UInt8(ascii: "0") {
                index += 1
            } else {
                guard try digits() > 0 else { throw failure("a number needs digits") }
            }
            if current == UInt8(ascii: ".") {
                index += 1
                guard try digits() > 0 else { throw failure("a fraction needs digits") }
            }
            if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
                index += 1
                if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
                guard try digits() > 0 else { throw failure("an exponent needs digits") }
            }
            let text = String(decoding: bytes[start..<index], as: UTF8.self)
            guard let value = Double(text), value.isFinite else { throw failure("\(text) is not a finite double") }
            return value
        }

        mutating func digits() throws(CardSignatureError) -> Int {
            var count = 0
            while let byte = current, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                index += 1
                count += 1
            }
            return count
        }

        mutating func string() throws(CardSignatureError) -> String {
            index += 1
            // Most strings have no escape: they are the input's bytes as they are (valid UTF-8, since the whole
            // input is and both ends are ASCII), with no byte-by-byte copy.
            var end = index
            while end < bytes.count, bytes[end] != UInt8(ascii: "\""), bytes[end] != UInt8(ascii: "\\"),
                bytes[end] >= 0x20
            {
                end += 1
            }
            if end < bytes.count, bytes[end] == UInt8(ascii: "\"") {
                defer { index = end + 1 }
                return String(decoding: bytes[index..<end], as: UTF8.self)
            }
            var out = Array(bytes[index..<end])
            index = end
            while true {
                guard let byte = current else { throw failure("unterminated string") }
                index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return String(decoding: out, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    try escape(into: &out)
                case 0x00..<0x20:
                    throw failure("a control character must be escaped")
                default:
                    out.append(byte)
                }
            }
        }

        mutating func escape(into out: inout [UInt8]) throws(CardSignatureError) {
            guard let byte = current else { throw failure("unterminated escape") }
            index += 1
            let simple: UInt8? =
                switch byte {
                case UInt8(ascii: "\""): 0x22
                case UInt8(ascii: "\\"): 0x5C
                case UInt8(ascii: "/"): 0x2F
                case UInt8(ascii: "b"): 0x08
                case UInt8(ascii: "f"): 0x0C
                case UInt8(ascii: "n"): 0x0A
                case UInt8(ascii: "r"): 0x0D
                case UInt8(ascii: "t"): 0x09
                default: nil
                }
            if let simple {
                out.append(simple)
                return
            }
            guard byte == UInt8(ascii: "u") else { throw failure("unknown escape") }
            var scalar = try hex4()
            if (0xD800..<0xDC00).contains(scalar) {
                guard current == UInt8(ascii: "\\") else { throw failure("a lone high surrogate") }
                index += 1
                guard current == UInt8(ascii: "u") else { throw failure("a lone high surrogate") }
                index += 1
                let low = try hex4()
                guard (0xDC00..<0xE000).contains(low) else { throw failure("a lone high surrogate") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00..<0xE000).contains(scalar) {
                throw failure("a lone low surrogate")
            }
            guard let unicode = Unicode.Scalar(scalar) else { throw failure("not a Unicode scalar") }
            UTF8.encode(unicode) { out.append($0) }
        }

        mutating func hex4() throws(CardSignatureError) -> UInt32 {
            var value: UInt32 = 0
            for _ in 0..<4 {
                guard let byte = current else { throw failure("unterminated \\u escape") }
                index += 1
                let digit: UInt32
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
                default: throw failure("bad hex digit in \\u escape")
                }
                value = value << 4 | digit
            }
            return value
        }
    }
}
