/// Decodes the text header of the PROXY protocol, version 1 (HAProxy's proxy-protocol.txt, section 2.1), which
/// nginx's stream `proxy_protocol on` writes:
///
///     PROXY TCP4 198.51.100.7 192.0.2.1 40000 7400\r\n
///     PROXY TCP6 2001:db8::9 2001:db8::1 40000 7400\r\n
///     PROXY UNKNOWN[anything]\r\n
///
/// At most 107 bytes with the CR LF; single spaces; strict addresses and ports (`ProxyAddressText`). Pure and
/// bounds-checked, like the version 2 decoder it sits beside.
enum ProxyHeaderV1 {
    static let prefix = Array("PROXY ".utf8)
    /// The spec's longest line, CR LF included.
    static let maximumLength = 107

    /// `bytes` starts with `prefix`.
    static func decode(_ bytes: [UInt8]) throws(ProxyHeaderError) -> ProxyHeaderDecoder.Outcome {
        let cr = UInt8(ascii: "\r")
        let window = bytes.prefix(maximumLength)
        guard let end = window.firstIndex(of: cr) else {
            guard bytes.count < maximumLength else {
                throw ProxyHeaderError(.malformed, "no CR LF within \(maximumLength) bytes of a version 1 header")
            }
            return .needMore
        }
        guard end + 1 < maximumLength else {
            throw ProxyHeaderError(.malformed, "no CR LF within \(maximumLength) bytes of a version 1 header")
        }
        guard end + 1 < bytes.count else { return .needMore }
        guard bytes[end + 1] == UInt8(ascii: "\n") else {
            throw ProxyHeaderError(.malformed, "a CR not followed by LF in a version 1 header")
        }
        let length = end + 2
        let fields = bytes[prefix.count..<end].split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        switch fields.first.map({ String(decoding: $0, as: UTF8.self) }) {
        case "UNKNOWN":
            // "the receiver must ignore anything presented before the CRLF is found"
            return .header(.unknownSource, length: length)
        case "TCP4", "TCP6":
            let v6 = fields[0].last == UInt8(ascii: "6")
            guard fields.count == 5 else {
                throw ProxyHeaderError(.malformed, "a version 1 TCP line needs 4 fields, not \(fields.count - 1)")
            }
            let address = v6 ? ProxyAddressText.ipv6 : ProxyAddressText.ipv4
            guard let source = address(fields[1]), let destination = address(fields[2]),
                let sourcePort = ProxyAddressText.port(fields[3]),
                let destinationPort = ProxyAddressText.port(fields[4])
            else {
                throw ProxyHeaderError(.malformed, "a version 1 address or port is not valid")
            }
            return .header(
                .proxied(
                    source: ProxyEndpoint(address: source, port: sourcePort),
                    destination: ProxyEndpoint(address: destination, port: destinationPort)
                ),
                length: length
            )
        default:
            throw ProxyHeaderError(.unsupported, "a version 1 protocol other than TCP4, TCP6 or UNKNOWN")
        }
    }
}
