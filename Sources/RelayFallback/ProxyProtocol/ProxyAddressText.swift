/// Strict parsers for the textual addresses and ports of a PROXY protocol version 1 line (dotted IPv4, RFC 4291
/// IPv6 text with at most one `::` and an optional dotted IPv4 tail, decimal ports). Pure: they return nil for
/// anything else and never trap; each input is at most a line of 107 bytes.
enum ProxyAddressText {
    /// `a.b.c.d`, four decimal parts of one to three digits, each at most 255.
    static func ipv4(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        let parts = text.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard let value = decimal(part, maximumDigits: 3), value <= 255 else { return nil }
            bytes.append(UInt8(value))
        }
        return bytes
    }

    /// Eight groups of one to four hex digits, or fewer around one `::`; the last two may be a dotted IPv4.
    static func ipv6(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        guard text.count >= 2, text.count <= 45 else { return nil }
        let colon = UInt8(ascii: ":")
        var head: ArraySlice<UInt8> = text
        var tail: ArraySlice<UInt8>? = nil
        if let gap = (text.startIndex..<(text.endIndex - 1)).first(where: { text[$0] == colon && text[$0 + 1] == colon }
        ) {
            head = text[text.startIndex..<gap]
            tail = text[(gap + 2)...]
        }
        guard let first = groups(head) else { return nil }
        var last: [UInt8] = []
        if let tail {
            guard let parsed = groups(tail) else { return nil }
            last = parsed
        }
        let total = first.count + last.count
        if tail == nil {
            guard total == 16 else { return nil }
            return first
        }
        // `::` stands for at least one zero group.
        guard total <= 14 else { return nil }
        return first + [UInt8](repeating: 0, count: 16 - total) + last
    }

    /// Colon-separated groups as bytes (an empty text is no groups); a dotted IPv4 is allowed as the last group.
    private static func groups(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        guard !text.isEmpty else { return [] }
        let parts = text.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
        var bytes: [UInt8] = []
        for (index, part) in parts.enumerated() {
            if index == parts.count - 1, part.contains(UInt8(ascii: ".")) {
                guard let v4 = ipv4(part) else { return nil }
                bytes += v4
                continue
            }
            guard (1...4).contains(part.count) else { return nil }
            var value: UInt16 = 0
            for byte in part {
                guard let digit = hexDigit(byte) else { return nil }
                value = value << 4 | UInt16(digit)
            }
            bytes += [UInt8(value >> 8), UInt8(value & 0xFF)]
        }
        return bytes.count <= 16 ? bytes : nil
    }

    /// A port: one to five decimal digits, no leading zero (except `0` itself), at most 65,535.
    static func port(_ text: ArraySlice<UInt8>) -> UInt16? {
        guard let value = decimal(text, maximumDigits: 5), value <= 65_535 else { return nil }
        return UInt16(value)
    }

    private static func decimal(_ text: ArraySlice<UInt8>, maximumDigits: Int) -> Int? {
        guard (1...maximumDigits).contains(text.count) else { return nil }
        guard text.count == 1 || text.first != UInt8(ascii: "0") else { return nil }
        var value = 0
        for byte in text {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    private static func hexDigit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
