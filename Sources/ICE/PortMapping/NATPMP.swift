import MeshCore

/// NAT-PMP (RFC 6886) messages for a UDP mapping, sans-IO. The gateway listens on port 5351.
public enum NATPMP {
    public static let port: UInt16 = 5351

    /// A UDP mapping request (opcode 1); lifetime 0 with external port 0 deletes the mapping.
    public static func mapRequest(internalPort: UInt16, suggestedExternalPort: UInt16, lifetime: UInt32) -> [UInt8] {
        var writer = WireWriter(capacity: 12)
        writer.write(UInt8(0))
        writer.write(UInt8(1))
        writer.write(UInt16(0))
        writer.write(internalPort)
        writer.write(suggestedExternalPort)
        writer.write(lifetime)
        return writer.bytes
    }

    /// The external address request (opcode 0).
    public static let externalAddressRequest: [UInt8] = [0, 0]

    public struct MapResponse: Equatable, Sendable {
        public var resultCode: UInt16
        public var internalPort: UInt16
        public var externalPort: UInt16
        public var lifetime: UInt32
    }

    /// Parses a response to a UDP mapping request (opcode 129); throws on anything else.
    public static func parseMapResponse(_ bytes: [UInt8]) throws -> MapResponse {
        var reader = WireReader(bytes)
        guard try reader.readUInt8() == 0, try reader.readUInt8() == 129 else {
            throw WireError(.unknownType, at: 0, "not a NAT-PMP UDP mapping response")
        }
        let result = try reader.readUInt16()
        _ = try reader.readUInt32()  // seconds since the gateway's epoch
        let response = MapResponse(
            resultCode: result,
            internalPort: try reader.readUInt16(),
            externalPort: try reader.readUInt16(),
            lifetime: try reader.readUInt32()
        )
        try reader.expectEnd()
        return response
    }

    /// Parses the external address response (opcode 128).
    public static func parseExternalAddress(_ bytes: [UInt8]) throws -> IPAddress {
        var reader = WireReader(bytes)
        guard try reader.readUInt8() == 0, try reader.readUInt8() == 128, try reader.readUInt16() == 0 else {
            throw WireError(.unknownType, at: 0, "not a successful NAT-PMP external address response")
        }
        _ = try reader.readUInt32()
        let address = try reader.readBytes(4)
        try reader.expectEnd()
        return IPAddress(bytes: address)!
    }
}
