import MeshCore
import Testing

@testable import ICE

@Suite("STUN decoder rejects malformed input")
struct STUNMalformedTests {
    @Test("a flipped bit breaks FINGERPRINT")
    func badFingerprint() {
        var bytes = RFC5769.ipv4Response
        bytes[30] ^= 1
        #expect(throws: WireError.self) { try STUNMessage.decode(bytes) }
    }

    @Test("a flipped bit in a covered attribute fails MESSAGE-INTEGRITY but not decoding")
    func badIntegrity() throws {
        let message = STUNMessage(.request, transactionID: RFC5769.transactionID, attributes: [.username("x:y")])
        var bytes = message.encoded(integrityKey: [1, 2, 3], fingerprint: false)
        bytes[24] ^= 1
        let decoded = try STUNMessage.decode(bytes)
        #expect(!decoded.verifyIntegrity(key: [1, 2, 3]))
    }

    @Test("lengths that disagree with the datagram, bad cookie, top bits set, truncation")
    func badHeaders() {
        var wrongLength = RFC5769.request
        wrongLength[3] = 0x54
        var cookie = RFC5769.request
        cookie[5] = 0
        var topBits = RFC5769.request
        topBits[0] = 0x80
        let truncated = Array(RFC5769.request.prefix(30))
        for bytes in [wrongLength, cookie, topBits, truncated, [], [UInt8](repeating: 0, count: 19)] {
            #expect(throws: WireError.self) { try STUNMessage.decode(bytes) }
        }
        #expect(!STUNMessage.looksLikeSTUN(topBits))
        #expect(STUNMessage.looksLikeSTUN(RFC5769.request))
    }

    @Test("the one STUN sniffer: cookie, top bits, a length that is a multiple of 4 and covers the datagram")
    func sniffer() {
        let request = RFC5769.request
        #expect(STUNMessage.looksLikeSTUN(request))
        // Each of these passed one of the two sniffers the tree used to have (the DHT port's checked only the top
        // bits and the cookie; the ICE one also the length's low bits, but not that it matched the datagram).
        var oddLength = request
        oddLength[3] |= 0x01
        var longer = request
        longer[3] &+= 4
        var shorter = request
        shorter[3] &-= 4
        let padded = request + [0, 0, 0, 0]
        let truncated = Array(request.prefix(request.count - 4))
        var cookie = request
        cookie[7] = 0x43
        var topBits = request
        topBits[0] |= 0x40
        let headerOnly = Array(request.prefix(STUNMessage.headerByteCount))
        for bytes in [oddLength, longer, shorter, padded, truncated, cookie, topBits, headerOnly, []] {
            #expect(!STUNMessage.looksLikeSTUN(bytes))
        }
        var empty = headerOnly
        empty[2] = 0
        empty[3] = 0
        #expect(STUNMessage.looksLikeSTUN(empty))
    }

    @Test("an attribute whose length runs past the end is rejected")
    func attributeOverrun() {
        var bytes = STUNMessage(.request, transactionID: RFC5769.transactionID, attributes: [.priority(1)])
            .encoded(fingerprint: false)
        bytes[23] = 0x40
        #expect(throws: WireError.self) { try STUNMessage.decode(bytes) }
    }

    @Test("unknown comprehension-required attributes are reported, optional ones are not")
    func unknownAttributes() throws {
        let message = STUNMessage(
            .request,
            transactionID: RFC5769.transactionID,
            attributes: [.other(type: 0x0003, value: [0, 0, 0, 0]), .other(type: 0xC001, value: [])]
        )
        let decoded = try STUNMessage.decode(message.encoded())
        #expect(decoded.unknownRequired == [0x0003])
    }

    @Test("too many attributes and oversize datagrams are rejected")
    func limits() {
        let many = STUNMessage(
            .request,
            transactionID: RFC5769.transactionID,
            attributes: Array(repeating: .useCandidate, count: STUNLimits.maximumAttributes + 1)
        )
        #expect(throws: WireError.self) { try STUNMessage.decode(many.encoded(fingerprint: false)) }
        #expect(throws: WireError.self) { try STUNMessage.decode([UInt8](repeating: 0, count: 2_000)) }
    }

    @Test("fixed-size attributes with the wrong size are rejected")
    func wrongSizes() {
        let message = STUNMessage(
            .request,
            transactionID: RFC5769.transactionID,
            attributes: [.other(type: STUNAttribute.Kind.priority, value: [1, 2, 3, 4, 5, 6, 7, 8])]
        )
        #expect(throws: WireError.self) { try STUNMessage.decode(message.encoded()) }
    }
}
