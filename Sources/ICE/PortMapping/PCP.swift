import MeshCore

/// PCP (RFC 6887) MAP requests and responses for UDP, sans-IO. Same port as NAT-PMP (5351).
public enum PCP {
    public static let version: UInt8 = 2
    static let mapOpcode: UInt8 = 1

    /// An IPv4 address in the IPv4-mapped IPv6 form PCP uses (::ffff:a.b.c.d); IPv6 as is.
    static func mapped(_ ip: IPAddress) -> [UInt8] {
        ip.isIPv4 ? [UInt8](repeating: 0, count: 10) + [0xFF, 0xFF] + ip.bytes : ip.bytes
    }

    /// A MAP request for UDP `internalPort` on `client` (the address the request is sent from). `nonce` is 12
    /// random bytes that the response must echo. Lifetime 0 deletes the mapping.
    public static func mapRequest(
        client: IPAddress,
        internalPort: UInt16,
        suggestedExternalPort: UInt16,
        lifetime: UInt32,
        nonce: [UInt8]
    ) -> [UInt8] {
        precondition(nonce.count == 12, "a PCP nonce is 12 bytes")
        var writer = WireWriter(capacity: 60)
        writer.write(version)
        writer.write(mapOpcode)
        writer.write(UInt16(0))
        writer.write(lifetime)
        writer.write(raw: mapped(client))
        writer.write(raw: nonce)
        writer.write(UInt8(17))  // UDP
        writer.write(raw: [0, 0, 0])
        writer.write(internalPort)
        writer.write(suggestedExternalPort)
        writer.write(raw: [UInt8](repeating: 0, count: 16))  // no preferred external address
        return writer.bytes
    }

    public struct MapResponse: Equatable, Sendable {
        public var resultCode: UInt8
        public var lifetime: UInt32
        public var nonce: [UInt8]
        public var internalPort: UInt16
        public var externalPort: UInt16
        public var externalIP: IPAddress
    }

    /// Parses a MAP response; throws for other opcodes, versions or lengths.
    public static func parseMapResponse(_ bytes: [UInt8]) throws -> MapResponse {
        var reader = WireReader(bytes)
        guard try reader.readUInt8() == version, try reader.readUInt8() == 0x80 | mapOpcode else {
            throw WireError(.unknownType, at: 0, "not a PCP MAP response")
        }
        _ = try reader.readUInt8()
        let result = try reader.readUInt8()
        let lifetime = try reader.readUInt32()
        _ = try reader.readUInt32()  // epoch
        _ = try reader.readBytes(12)
        let nonce = try reader.readBytes(12)
        _ = try reader.readUInt8()  // protocol
        _ = try reader.readBytes(3)
        let internalPort = try reader.readUInt16()
        let externalPort = try reader.readUInt16()
        let raw = try reader.readBytes(16)
        let isV4 = raw.prefix(12) == [UInt8](repeating: 0, count: 10) + [0xFF, 0xFF]
        let ip = IPAddress(bytes: isV4 ? Array(raw.suffix(4)) : raw)!
        _ = try reader.readRemaining(maximum: 1_024)  // options, ignored
        return MapResponse(
            resultCode: result,
            lifetime: lifetime,
            nonce: nonce,
            internalPort: internalPort,
            externalPort: externalPort,
            externalIP: ip
        )
    }
}
