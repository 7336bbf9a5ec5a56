import MeshCore
import Testing

@testable import ICE

@Suite("STUN codec against RFC 5769")
struct STUNCodecTests {
    @Test("2.1 sample request decodes, authenticates and re-encodes byte for byte")
    func sampleRequest() throws {
        let decoded = try STUNMessage.decode(RFC5769.request)
        let message = decoded.message
        #expect(message.messageClass == .request)
        #expect(message.method == STUNMessage.bindingMethod)
        #expect(message.transactionID == RFC5769.transactionID)
        #expect(message.username == "evtj:h6vY")
        #expect(message.priority == 0x6e00_01ff)
        #expect(message.iceControlled == 0x932f_f9b1_5126_3b36)
        #expect(message.attributes.first == .software("STUN test client"))
        #expect(decoded.integrityOffset == 76)
        #expect(decoded.hasFingerprint)
        #expect(decoded.verifyIntegrity(key: RFC5769.password))
        #expect(!decoded.verifyIntegrity(key: Array("wrong".utf8)))
        // The vector pads USERNAME with spaces; our encoder pads with zeros, so only that padding differs.
        var expected = RFC5769.request
        expected[73...75] = [0, 0, 0]
        let reencoded = message.encoded(integrityKey: RFC5769.password, fingerprint: true)
        #expect(Array(reencoded[0..<76]) == Array(expected[0..<76]))
        #expect(try STUNMessage.decode(reencoded).verifyIntegrity(key: RFC5769.password))
    }

    @Test("2.2 IPv4 response: XOR-MAPPED-ADDRESS 192.0.2.1:32853, integrity and fingerprint")
    func ipv4Response() throws {
        let decoded = try STUNMessage.decode(RFC5769.ipv4Response)
        #expect(decoded.message.messageClass == .successResponse)
        #expect(decoded.message.xorMappedAddress == TransportAddress("192.0.2.1:32853"))
        #expect(decoded.verifyIntegrity(key: RFC5769.password))
        // The vector pads SOFTWARE with a space; our encoder pads with zero, which changes only the MAC and CRC.
        let reencoded = decoded.message.encoded(integrityKey: RFC5769.password, fingerprint: true)
        var expected = RFC5769.ipv4Response
        expected[35] = 0
        #expect(Array(reencoded[0..<52]) == Array(expected[0..<52]))
        #expect(try STUNMessage.decode(reencoded).verifyIntegrity(key: RFC5769.password))
    }

    @Test("2.3 IPv6 response: XOR-MAPPED-ADDRESS [2001:db8:1234:5678:11:2233:4455:6677]:32853")
    func ipv6Response() throws {
        let decoded = try STUNMessage.decode(RFC5769.ipv6Response)
        #expect(decoded.message.xorMappedAddress == TransportAddress("[2001:db8:1234:5678:11:2233:4455:6677]:32853"))
        #expect(decoded.verifyIntegrity(key: RFC5769.password))
        let reencoded = decoded.message.encoded(integrityKey: RFC5769.password)
        var expected = RFC5769.ipv6Response
        expected[35] = 0
        #expect(Array(reencoded[0..<64]) == Array(expected[0..<64]))
    }

    @Test("SHA-1 and HMAC-SHA1 match FIPS 180 and RFC 2202 vectors")
    func sha1Vectors() {
        #expect(Hex.encode(SHA1.hash(Array("abc".utf8))) == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(Hex.encode(SHA1.hash([UInt8]())) == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        let mac = HMAC<SHA1>.authenticationCode(
            for: Array("what do ya want for nothing?".utf8),
            key: Array("Jefe".utf8)
        )
        #expect(Hex.encode(mac) == "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79")
    }

    @Test("every attribute kind round-trips, with SHA-256 integrity")
    func roundTrip() throws {
        let id = [UInt8](repeating: 7, count: 12)
        let attributes: [STUNAttribute] = [
            .mappedAddress(TransportAddress("203.0.113.5:4000")!),
            .xorMappedAddress(TransportAddress("[2001:db8::1]:9")!),
            .username("a:b"), .errorCode(code: 487, reason: "Role Conflict"), .unknownAttributes([0x0003, 0x7000]),
            .software("meshpeer"), .priority(12345), .useCandidate, .iceControlled(tieBreaker: 1),
            .iceControlling(tieBreaker: .max), .other(type: 0x8050, value: [1, 2, 3]),
        ]
        let message = STUNMessage(.errorResponse, transactionID: id, attributes: attributes)
        let bytes = message.encoded(integrityKey: [9, 9], sha256Integrity: true)
        let decoded = try STUNMessage.decode(bytes)
        #expect(decoded.message == message)
        #expect(decoded.integritySHA256Offset != nil)
        #expect(decoded.verifyIntegrity(key: [9, 9]))
        #expect(!decoded.verifyIntegrity(key: [9, 8]))
        #expect(decoded.unknownRequired.isEmpty)
    }
}
