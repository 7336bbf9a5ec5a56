import MeshCore
import Testing

@testable import RelayFallback

/// The PROXY protocol v2 decoder and reader (decision 0103): exact results for valid headers, and one test per
/// way a header can be malformed.
@Suite struct ProxyHeaderTests {
    /// A header with the given ver_cmd and family bytes around `body`; `length` overrides the declared length.
    static func header(
        _ verCommand: UInt8 = 0x21,
        _ family: UInt8 = 0x11,
        body: [UInt8],
        length: Int? = nil
    )
        -> [UInt8]
    {
        let declared = length ?? body.count
        return ProxyHeaderDecoder.signature + [verCommand, family, UInt8(declared >> 8), UInt8(declared & 0xFF)]
            + body
    }

    /// 203.0.113.7:40000 → 192.0.2.1:7400
    static let ipv4Body: [UInt8] = [203, 0, 113, 7, 192, 0, 2, 1, 0x9C, 0x40, 0x1C, 0xE8]
    static let ipv6Source: [UInt8] = [0x20, 0x01, 0x0D, 0xB8] + [UInt8](repeating: 0, count: 11) + [9]
    static let ipv6Body: [UInt8] =
        ipv6Source + [0x20, 0x01, 0x0D, 0xB8] + [UInt8](repeating: 0, count: 11) + [1]
        + [0x01, 0xBB, 0x1C, 0xE8]

    func decode(_ bytes: [UInt8]) throws(ProxyHeaderError) -> ProxyHeaderDecoder.Outcome {
        try ProxyHeaderDecoder.decode(bytes)
    }

    func code(_ bytes: [UInt8]) -> ProxyHeaderError.Code? {
        do {
            _ = try decode(bytes)
            return nil
        } catch {
            return error.code
        }
    }

    @Test func anIPv4HeaderAsHAProxyWritesIt() throws {
        // Captured from HAProxy 2.x `send-proxy-v2`: 172.19.0.1:42578 → 172.19.0.3:80, no TLVs.
        let bytes = Hex.decode("0d0a0d0a000d0a515549540a2111000cac130001ac130003a6520050")!
        let expected = ProxyHeader.proxied(
            source: ProxyEndpoint(address: [172, 19, 0, 1], port: 42_578),
            destination: ProxyEndpoint(address: [172, 19, 0, 3], port: 80)
        )
        #expect(try decode(bytes) == .header(expected, length: 28))
        #expect(try decode(bytes + Array("GET / HTTP/1.1\r\n".utf8)) == .header(expected, length: 28))
    }

    @Test func anIPv6HeaderWithTLVs() throws {
        // PP2_TYPE_ALPN "h2" and a NOOP, as HAProxy may append; they are skipped.
        let tlvs: [UInt8] = [0x01, 0x00, 0x02, 0x68, 0x32, 0x04, 0x00, 0x00]
        let bytes = Self.header(0x21, 0x21, body: Self.ipv6Body + tlvs)
        let outcome = try decode(bytes)
        guard case .header(.proxied(let source, let destination), let length) = outcome else {
            Issue.record("not a proxied header: \(outcome)")
            return
        }
        #expect(source == ProxyEndpoint(address: Self.ipv6Source, port: 443))
        #expect(destination.port == 7_400)
        #expect(length == 16 + 36 + tlvs.count)
    }

    @Test func localIsTheProxysOwnConnectionAndItsBlockIsIgnored() throws {
        #expect(try decode(Self.header(0x20, 0x00, body: [])) == .header(.local, length: 16))
        // LOCAL: "discard the protocol block including the family", whatever it holds.
        #expect(try decode(Self.header(0x20, 0x11, body: [1, 2, 3])) == .header(.local, length: 19))
    }

    @Test func familiesWithoutAnIPClientUseTheTCPPeer() throws {
        #expect(try decode(Self.header(0x21, 0x00, body: [])) == .header(.unknownSource, length: 16))
        let unix = [UInt8](repeating: 0x2F, count: 216)
        #expect(try decode(Self.header(0x21, 0x31, body: unix)) == .header(.unknownSource, length: 232))
    }

    @Test func everyStrictPrefixOfAValidHeaderAsksForMore() throws {
        let bytes = Self.header(body: Self.ipv4Body + [0x04, 0x00, 0x01, 0x00])
        for count in 0..<bytes.count {
            #expect(try decode(Array(bytes.prefix(count))) == .needMore, "prefix of \(count) bytes")
        }
    }

    @Test func aWrongSignatureByteFailsAtOnce() {
        for position in 0..<12 {
            var bytes = ProxyHeaderDecoder.signature
            bytes[position] ^= 0x40
            #expect(code(Array(bytes.prefix(position + 1))) == .missing, "byte \(position)")
        }
        #expect(code(Array("GET /relay HTTP/1.1\r\n".utf8)) == .missing)
        #expect(code([0x16, 0x03, 0x01]) == .missing, "a TLS ClientHello")
    }

    @Test func undefinedVersionCommandFamilyOrTransportIsRefused() {
        #expect(code(Self.header(0x11, 0x11, body: Self.ipv4Body)) == .unsupported, "version 1 in the binary form")
        #expect(code(Self.header(0x31, 0x11, body: Self.ipv4Body)) == .unsupported, "version 3")
        #expect(code(Self.header(0x22, 0x11, body: Self.ipv4Body)) == .unsupported, "command 2")
        #expect(code(Self.header(0x2F, 0x11, body: Self.ipv4Body)) == .unsupported, "command 15")
        #expect(code(Self.header(0x21, 0x41, body: Self.ipv4Body)) == .unsupported, "family 4")
        #expect(code(Self.header(0x21, 0x13, body: Self.ipv4Body)) == .unsupported, "transport 3")
        #expect(code(Self.header(0x21, 0x12, body: Self.ipv4Body)) == .unsupported, "UDP")
        #expect(code(Self.header(0x21, 0x10, body: Self.ipv4Body)) == .unsupported, "INET with no transport")
        // Decided on the fixed part alone, before any address byte arrives.
        #expect(code(Array(Self.header(0x22, 0x11, body: Self.ipv4Body).prefix(16))) == .unsupported)
    }

    @Test func aBlockTooShortForItsFamilyIsMalformed() {
        #expect(code(Self.header(0x21, 0x11, body: Array(Self.ipv4Body.prefix(11)))) == .malformed)
        #expect(code(Self.header(0x21, 0x21, body: Self.ipv4Body)) == .malformed, "IPv6 needs 36")
        #expect(code(Self.header(0x21, 0x31, body: Self.ipv6Body)) == .malformed, "UNIX needs 216")
        #expect(code(Self.header(0x21, 0x11, body: [])) == .malformed)
    }

    @Test func anOverlongBlockIsRefusedOnItsLengthAlone() {
        let sixteen = Array(Self.header(body: [], length: ProxyHeaderDecoder.maximumBodyLength + 1).prefix(16))
        #expect(code(sixteen) == .tooLong)
        #expect(code(Array(Self.header(body: [], length: 0xFFFF).prefix(16))) == .tooLong)
        let largest = Self.header(
            body: Self.ipv4Body + [0xEE, 0x01, 0xF1] + [UInt8](repeating: 0, count: 0x01F1)
        )
        #expect(largest.count == 16 + ProxyHeaderDecoder.maximumBodyLength)
        #expect(code(largest) == nil, "exactly the maximum is accepted")
    }

    @Test func aTLVThatDoesNotFitIsMalformed() {
        #expect(code(Self.header(body: Self.ipv4Body + [0x04])) == .malformed, "one byte of a TLV header")
        #expect(code(Self.header(body: Self.ipv4Body + [0x04, 0x00])) == .malformed, "two bytes")
        #expect(code(Self.header(body: Self.ipv4Body + [0x04, 0x00, 0x02, 0x00])) == .malformed, "value cut")
        #expect(code(Self.header(body: Self.ipv4Body + [0x04, 0xFF, 0xFF])) == .malformed, "length 65535")
        #expect(code(Self.header(body: Self.ipv4Body + [0x04, 0x00, 0x00, 0x01, 0x00])) == .malformed)
        #expect(code(Self.header(body: Self.ipv4Body + [0x04, 0x00, 0x00, 0x04, 0x00, 0x00])) == nil)
    }
}

/// The reader around the decoder: byte-at-a-time input, the remainder, the deadline, and the untrusted mode.
@Suite struct ProxyHeaderReaderTests {
    let start = Timestamp(secondsSinceEpoch: 1_700_000_000)

    @Test func aHeaderInSingleBytesThenTheClientsOwnBytes() {
        var reader = ProxyHeaderReader(mode: .required, now: start)
        let header = ProxyHeaderTests.header(body: ProxyHeaderTests.ipv4Body)
        for byte in header.dropLast() { #expect(reader.receive([byte]) == .needMore) }
        let outcome = reader.receive([header.last!] + Array("GET".utf8))
        guard case .header(.proxied(let source, _), let remainder) = outcome else {
            Issue.record("no header: \(outcome)")
            return
        }
        #expect(source.address == [203, 0, 113, 7])
        #expect(remainder == Array("GET".utf8))
        #expect(reader.pollTimeout() == nil, "decided: no timer")
        #expect(reader.receive([1, 2, 3]) == .needMore, "a decided reader takes nothing more")
    }

    @Test func aTrustedProxyThatSendsNoHeaderIsRefused() {
        var reader = ProxyHeaderReader(mode: .required, now: start)
        #expect(reader.receive(Array("GET /relay HTTP/1.1\r\n".utf8)) == .refused(ProxyHeaderError(.missing, "")))
    }

    @Test func theHeaderMustArriveBeforeTheDeadline() {
        var reader = ProxyHeaderReader(mode: .required, now: start, timeout: .seconds(2))
        #expect(reader.receive(Array(ProxyHeaderDecoder.signature.prefix(5))) == .needMore)
        #expect(reader.pollTimeout() == start + .seconds(2))
        #expect(reader.handleTimeout(now: start + .milliseconds(1_999)) == nil, "early: a no-op")
        #expect(reader.handleTimeout(now: start + .seconds(2)) == .refused(ProxyHeaderError(.timeout, "")))
        #expect(reader.pollTimeout() == nil)
        #expect(reader.handleTimeout(now: start + .seconds(3)) == nil, "spurious after the decision")
    }

    @Test func anUntrustedPeerPassesThroughUntouched() {
        var reader = ProxyHeaderReader(mode: .refuseForged, now: start)
        #expect(reader.pollTimeout() == nil, "no timer: the login deadline bounds a silent peer")
        let request = Array("GET /relay HTTP/1.1\r\n".utf8)
        #expect(reader.receive(request) == .passThrough(request))
        // Bytes that begin like the signature are held until one differs, then all of them pass.
        var partial = ProxyHeaderReader(mode: .refuseForged, now: start)
        #expect(partial.receive([0x0D, 0x0A]) == .needMore)
        #expect(partial.receive([0x0D, 0x0A, 0x47]) == .passThrough([0x0D, 0x0A, 0x0D, 0x0A, 0x47]))
    }

    @Test func anUntrustedPeerCannotClaimAnAddress() {
        var reader = ProxyHeaderReader(mode: .refuseForged, now: start)
        let forged = ProxyHeaderTests.header(body: ProxyHeaderTests.ipv4Body)
        #expect(reader.receive(Array(forged.prefix(7))) == .needMore)
        #expect(reader.receive(Array(forged.dropFirst(7))) == .refused(ProxyHeaderError(.untrusted, "")))
    }
}
