/// Decodes the binary header of the PROXY protocol, version 2 (HAProxy's proxy-protocol.txt, section 2.2), and
/// hands a version 1 text header (`PROXY …`) to `ProxyHeaderV1`:
///
///     signature (12) = 0D 0A 0D 0A 00 0D 0A 51 55 49 54 0A
///     ver_cmd   (1)  = version 2 in the high nibble; command in the low one (0 LOCAL, 1 PROXY)
///     family    (1)  = address family high (0 UNSPEC, 1 INET, 2 INET6, 3 UNIX), transport low (1 STREAM)
///     length    (2)  = big-endian count of the bytes that follow: addresses, then TLVs
///     addresses      = INET: src 4, dst 4, sport 2, dport 2 (12); INET6: 16, 16, 2, 2 (36); UNIX: 108, 108 (216)
///     TLVs           = type (1), length (2, big-endian), value; skipped, but each must fit in the block
///
/// Pure and bounds-checked: every index is checked against the count before it is read, lengths are read as
/// unsigned and compared before any addition could overflow, and no input traps.
public enum ProxyHeaderDecoder {
    public static let signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]
    /// Signature, ver_cmd, family and length: the part every header has.
    public static let fixedLength = 16
    /// The longest address-and-TLV block accepted. The spec allows 65,535; HAProxy's largest usual block (IPv6
    /// addresses, ALPN, authority, unique ID, TLS details) stays well under this, and a relay has no use for TLVs.
    public static let maximumBodyLength = 512

    public enum Outcome: Equatable, Sendable {
        /// The bytes so far are a valid beginning: read more.
        case needMore
        /// A complete header, `length` bytes long (what follows it is the client's own stream).
        case header(ProxyHeader, length: Int)
    }

    /// Decodes the header at the start of `bytes`. Decides as early as it can: a byte that differs from the
    /// signature, or a fixed part that is invalid, fails before the rest arrives.
    public static func decode(
        _ bytes: [UInt8],
        maximumBodyLength: Int = maximumBodyLength
    ) throws(ProxyHeaderError) -> Outcome {
        let prefix = min(bytes.count, signature.count)
        guard bytes[..<prefix].elementsEqual(signature[..<prefix]) else {
            // Version 1 (text): its first five bytes are awaited so that the outcome does not depend on how the
            // stream was split into reads.
            let version1 = ProxyHeaderV1.prefix
            if bytes.count < version1.count, version1.starts(with: bytes) { return .needMore }
            if bytes.starts(with: version1) { return try ProxyHeaderV1.decode(bytes) }
            throw ProxyHeaderError(.missing, "the connection does not start with the version 2 signature")
        }
        guard bytes.count >= fixedLength else { return .needMore }
        let version = bytes[12] >> 4
        let command = bytes[12] & 0x0F
        let family = bytes[13] >> 4
        let transport = bytes[13] & 0x0F
        guard version == 2 else { throw ProxyHeaderError(.unsupported, "version \(version), not 2") }
        guard command <= 1 else { throw ProxyHeaderError(.unsupported, "command \(command) is not LOCAL or PROXY") }
        guard family <= 3, transport <= 2 else {
            throw ProxyHeaderError(.unsupported, "family byte \(bytes[13]) is not defined by version 2")
        }
        let bodyLength = Int(bytes[14]) << 8 | Int(bytes[15])
        guard bodyLength <= maximumBodyLength else {
            throw ProxyHeaderError(.tooLong, "\(bodyLength) bytes of addresses and TLVs (at most \(maximumBodyLength))")
        }
        let end = fixedLength + bodyLength
        guard bytes.count >= end else { return .needMore }
        // LOCAL: "the receiver must use the real connection endpoints and discard the protocol block".
        guard command == 1 else { return .header(.local, length: end) }
        if family == 0 { return .header(.unknownSource, length: end) }
        guard transport == 1 else { throw ProxyHeaderError(.unsupported, "transport \(transport) is not TCP") }
        let addressLength = [1: 12, 2: 36, 3: 216][Int(family)] ?? 0
        guard bodyLength >= addressLength else {
            throw ProxyHeaderError(.malformed, "\(bodyLength) bytes cannot hold family \(family)'s addresses")
        }
        try skipTLVs(bytes, from: fixedLength + addressLength, to: end)
        guard family != 3 else { return .header(.unknownSource, length: end) }
        let width = family == 1 ? 4 : 16
        let base = fixedLength
        func port(_ at: Int) -> UInt16 { UInt16(bytes[at]) << 8 | UInt16(bytes[at + 1]) }
        let source = ProxyEndpoint(address: Array(bytes[base..<(base + width)]), port: port(base + 2 * width))
        let destination = ProxyEndpoint(
            address: Array(bytes[(base + width)..<(base + 2 * width)]),
            port: port(base + 2 * width + 2)
        )
        return .header(.proxied(source: source, destination: destination), length: end)
    }

    /// Walks the TLVs in `bytes[start..<end]` (`end <= bytes.count`): each must fit entirely, or the block is
    /// malformed. Their contents are not used.
    static func skipTLVs(_ bytes: [UInt8], from start: Int, to end: Int) throws(ProxyHeaderError) {
        var position = start
        while position < end {
            guard end - position >= 3 else {
                throw ProxyHeaderError(.malformed, "a TLV header is cut off at byte \(position)")
            }
            let length = Int(bytes[position + 1]) << 8 | Int(bytes[position + 2])
            guard end - position - 3 >= length else {
                throw ProxyHeaderError(
                    .malformed,
                    "TLV type \(bytes[position]) of \(length) bytes runs past the header"
                )
            }
            position += 3 + length
        }
    }
}
