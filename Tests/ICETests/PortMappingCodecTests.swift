import MeshCore
import Testing

@testable import ICE

@Suite("NAT-PMP and PCP codecs")
struct PortMappingCodecTests {
    @Test("NAT-PMP UDP mapping request and response, byte for byte (RFC 6886 §3.3)")
    func natPMP() throws {
        let request = NATPMP.mapRequest(internalPort: 5000, suggestedExternalPort: 5000, lifetime: 7200)
        #expect(request == [0, 1, 0, 0, 0x13, 0x88, 0x13, 0x88, 0, 0, 0x1C, 0x20])
        let response: [UInt8] = [0, 129, 0, 0, 0, 0, 0, 9, 0x13, 0x88, 0x13, 0x89, 0, 0, 0x1C, 0x20]
        #expect(
            try NATPMP.parseMapResponse(response)
                == NATPMP.MapResponse(resultCode: 0, internalPort: 5000, externalPort: 5001, lifetime: 7200)
        )
        #expect(throws: WireError.self) { try NATPMP.parseMapResponse(Array(response.prefix(15))) }
        #expect(throws: WireError.self) { try NATPMP.parseMapResponse([0, 128] + Array(response.dropFirst(2))) }
        let external: [UInt8] = [0, 128, 0, 0, 0, 0, 0, 1, 203, 0, 113, 70]
        #expect(try NATPMP.parseExternalAddress(external) == IPAddress("203.0.113.70"))
    }

    @Test("PCP MAP request layout and response parsing with an IPv4-mapped address (RFC 6887 §11)")
    func pcp() throws {
        let nonce = [UInt8](1...12)
        let request = PCP.mapRequest(
            client: IPAddress("192.0.2.66")!,
            internalPort: 5000,
            suggestedExternalPort: 5000,
            lifetime: 120,
            nonce: nonce
        )
        #expect(request.count == 60)
        #expect(Array(request[0..<8]) == [2, 1, 0, 0, 0, 0, 0, 120])
        #expect(Array(request[8..<24]) == [UInt8](repeating: 0, count: 10) + [0xFF, 0xFF, 192, 0, 2, 66])
        #expect(Array(request[24..<36]) == nonce)
        #expect(request[36] == 17)
        #expect(Array(request[40..<44]) == [0x13, 0x88, 0x13, 0x88])
        var response: [UInt8] = [2, 0x81, 0, 0, 0, 0, 0, 120, 0, 0, 0, 5] + [UInt8](repeating: 0, count: 12)
        response += nonce + [17, 0, 0, 0, 0x13, 0x88, 0x13, 0x89]
        response += [UInt8](repeating: 0, count: 10) + [0xFF, 0xFF, 203, 0, 113, 70]
        let parsed = try PCP.parseMapResponse(response)
        #expect(parsed.resultCode == 0 && parsed.lifetime == 120 && parsed.nonce == nonce)
        #expect(parsed.internalPort == 5000 && parsed.externalPort == 5001)
        #expect(parsed.externalIP == IPAddress("203.0.113.70"))
        #expect(throws: WireError.self) { try PCP.parseMapResponse(Array(response.prefix(40))) }
    }
}
