import MeshCore
import Testing

@testable import RelayFallback

/// The PROXY protocol version 1 text line, as nginx's stream `proxy_protocol on` writes it (decision 0103): exact
/// results, and one test per malformed case.
@Suite struct ProxyHeaderV1Tests {
    func decode(_ text: String) throws(ProxyHeaderError) -> ProxyHeaderDecoder.Outcome {
        try ProxyHeaderDecoder.decode(Array(text.utf8))
    }

    func code(_ text: String) -> ProxyHeaderError.Code? {
        do {
            _ = try decode(text)
            return nil
        } catch {
            return error.code
        }
    }

    @Test func tcp4AndTCP6Lines() throws {
        let line = "PROXY TCP4 198.51.100.7 192.0.2.1 40000 7400\r\n"
        let v4 = ProxyHeader.proxied(
            source: ProxyEndpoint(address: [198, 51, 100, 7], port: 40_000),
            destination: ProxyEndpoint(address: [192, 0, 2, 1], port: 7_400)
        )
        #expect(try decode(line + "GET /relay") == .header(v4, length: line.utf8.count))
        let six = "PROXY TCP6 2001:db8::9 ::ffff:192.0.2.1 0 65535\r\n"
        let source: [UInt8] = [0x20, 0x01, 0x0D, 0xB8] + [UInt8](repeating: 0, count: 11) + [9]
        let mapped: [UInt8] = [UInt8](repeating: 0, count: 10) + [0xFF, 0xFF, 192, 0, 2, 1]
        let expected = ProxyHeader.proxied(
            source: ProxyEndpoint(address: source, port: 0),
            destination: ProxyEndpoint(address: mapped, port: 65_535)
        )
        #expect(try decode(six) == .header(expected, length: six.utf8.count))
        let full = "PROXY TCP6 2001:DB8:0:0:0:0:0:9 fe80::1 1 2\r\n"
        guard case .header(.proxied(let parsed, _), _) = try decode(full) else {
            Issue.record("eight groups did not parse")
            return
        }
        #expect(parsed.address == source)
    }

    @Test func unknownIgnoresTheRestOfTheLine() throws {
        #expect(try decode("PROXY UNKNOWN\r\n") == .header(.unknownSource, length: 15))
        #expect(try decode("PROXY UNKNOWN ffff::1 whatever\r\nGET") == .header(.unknownSource, length: 32))
    }

    @Test func everyStrictPrefixAsksForMore() throws {
        let line = "PROXY TCP4 198.51.100.7 192.0.2.1 40000 7400\r\n"
        for count in 0..<line.utf8.count {
            #expect(try ProxyHeaderDecoder.decode(Array(line.utf8.prefix(count))) == .needMore, "\(count) bytes")
        }
    }

    @Test func aLineWithoutCRLFWithin107BytesIsMalformed() {
        let long = "PROXY UNKNOWN " + String(repeating: "x", count: 93)
        #expect(long.utf8.count == 107)
        #expect(code(long) == .malformed)
        #expect(code(String(long.dropLast(1)) + "\r\n") == .malformed, "CR at 107: the LF would be byte 108")
        #expect(code(String(long.dropLast(2)) + "\r\n") == nil, "exactly 107 with CR LF")
        #expect(code("PROXY TCP4 1.2.3.4\rX") == .malformed, "CR without LF")
    }

    @Test func malformedFieldsAreRefused() {
        let bad = [
            "PROXY TCP4 198.51.100.7 192.0.2.1 40000\r\n",  // a field short
            "PROXY TCP4 198.51.100.7 192.0.2.1 40000 7400 9\r\n",  // a field over
            "PROXY TCP4  198.51.100.7 192.0.2.1 40000 7400\r\n",  // two spaces
            "PROXY TCP4 198.51.100.256 192.0.2.1 40000 7400\r\n",
            "PROXY TCP4 198.51.100 192.0.2.1 40000 7400\r\n",
            "PROXY TCP4 198.51.100.07 192.0.2.1 40000 7400\r\n",  // a leading zero
            "PROXY TCP4 198.51.100.+7 192.0.2.1 40000 7400\r\n",
            "PROXY TCP4 2001:db8::9 192.0.2.1 40000 7400\r\n",  // IPv6 under TCP4
            "PROXY TCP6 198.51.100.7 2001:db8::1 40000 7400\r\n",  // IPv4 under TCP6
            "PROXY TCP6 2001:db8:::9 2001:db8::1 1 2\r\n",
            "PROXY TCP6 2001::db8::9 2001:db8::1 1 2\r\n",  // two gaps
            "PROXY TCP6 1:2:3:4:5:6:7:8:9 2001:db8::1 1 2\r\n",
            "PROXY TCP6 1:2:3:4:5:6:7 2001:db8::1 1 2\r\n",  // seven groups, no gap
            "PROXY TCP6 1:2:3:4::5:6:7:8 2001:db8::1 1 2\r\n",  // a gap that stands for nothing
            "PROXY TCP6 12345::1 2001:db8::1 1 2\r\n",
            "PROXY TCP6 2001:db8::g 2001:db8::1 1 2\r\n",
            "PROXY TCP4 198.51.100.7 192.0.2.1 65536 7400\r\n",
            "PROXY TCP4 198.51.100.7 192.0.2.1 040000 7400\r\n",
            "PROXY TCP4 198.51.100.7 192.0.2.1 -1 7400\r\n",
            "PROXY TCP4 198.51.100.7 192.0.2.1  7400\r\n",
        ]
        for line in bad { #expect(code(line) == .malformed, "\(line)") }
    }

    @Test func otherProtocolsAreUnsupported() {
        #expect(code("PROXY UDP4 198.51.100.7 192.0.2.1 1 2\r\n") == .unsupported)
        #expect(code("PROXY tcp4 198.51.100.7 192.0.2.1 1 2\r\n") == .unsupported)
        #expect(code("PROXY \r\n") == .unsupported)
    }

    @Test func aPrefixOfPROXYWaitsWhateverTheReads() throws {
        #expect(try decode("PROX") == .needMore)
        #expect(code("PROXZ") == .missing)
        var reader = ProxyHeaderReader(mode: .required, now: .zero)
        #expect(reader.receive(Array("P".utf8)) == .needMore)
        let outcome = reader.receive(Array("ROXY UNKNOWN\r\nGET".utf8))
        #expect(outcome == .header(.unknownSource, remainder: Array("GET".utf8)))
    }

    @Test func anUntrustedPeerCannotSendOneEither() {
        var reader = ProxyHeaderReader(mode: .refuseForged, now: .zero)
        #expect(reader.receive(Array("PRO".utf8)) == .needMore)
        #expect(reader.receive(Array("XY TCP4 ".utf8)) == .refused(ProxyHeaderError(.untrusted, "")))
        var honest = ProxyHeaderReader(mode: .refuseForged, now: .zero)
        #expect(honest.receive(Array("P".utf8)) == .needMore)
        #expect(honest.receive(Array("OST / HTTP/1.1".utf8)) == .passThrough(Array("POST / HTTP/1.1".utf8)))
    }
}
