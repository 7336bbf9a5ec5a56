import MeshCore

/// Value encodings of each attribute. XOR-MAPPED-ADDRESS needs the transaction ID (RFC 8489 §14.2).
enum STUNAttributeCodec {
    static func encodeValue(_ attribute: STUNAttribute, transactionID: [UInt8]) -> [UInt8] {
        var writer = WireWriter()
        switch attribute {
        case .mappedAddress(let address):
            writeAddress(address, mask: nil, into: &writer)
        case .xorMappedAddress(let address):
            writeAddress(address, mask: xorMask(transactionID), into: &writer)
        case .username(let text), .software(let text):
            writer.write(raw: Array(text.utf8))
        case .messageIntegrity(let bytes), .messageIntegritySHA256(let bytes), .other(_, let bytes):
            writer.write(raw: bytes)
        case .fingerprint(let value), .priority(let value):
            writer.write(value)
        case .errorCode(let code, let reason):
            writer.write(UInt16(0))
            writer.write(UInt8(clamping: code / 100))
            writer.write(UInt8(clamping: code % 100))
            writer.write(raw: Array(reason.utf8.prefix(STUNLimits.maximumReasonBytes)))
        case .unknownAttributes(let types):
            for type in types { writer.write(type) }
        case .useCandidate:
            break
        case .iceControlled(let tieBreaker), .iceControlling(let tieBreaker):
            writer.write(tieBreaker)
        }
        return writer.bytes
    }

    static func decodeValue(type: UInt16, value: [UInt8], transactionID: [UInt8]) throws -> STUNAttribute {
        var reader = WireReader(value)
        let attribute: STUNAttribute
        switch type {
        case STUNAttribute.Kind.mappedAddress:
            attribute = .mappedAddress(try readAddress(&reader, mask: nil))
        case STUNAttribute.Kind.xorMappedAddress:
            attribute = .xorMappedAddress(try readAddress(&reader, mask: xorMask(transactionID)))
        case STUNAttribute.Kind.username:
            attribute = .username(try text(value, maximum: STUNLimits.maximumUsernameBytes))
        case STUNAttribute.Kind.software:
            attribute = .software(try text(value, maximum: STUNLimits.maximumSoftwareBytes))
        case STUNAttribute.Kind.messageIntegrity:
            guard value.count == 20 else { throw bad("MESSAGE-INTEGRITY must be 20 bytes") }
            attribute = .messageIntegrity(value)
        case STUNAttribute.Kind.messageIntegritySHA256:
            guard value.count >= 16, value.count <= 32, value.count % 4 == 0 else {
                throw bad("MESSAGE-INTEGRITY-SHA256 must be 16-32 bytes, a multiple of 4")
            }
            attribute = .messageIntegritySHA256(value)
        case STUNAttribute.Kind.fingerprint:
            attribute = .fingerprint(try reader.readUInt32())
        case STUNAttribute.Kind.priority:
            attribute = .priority(try reader.readUInt32())
        case STUNAttribute.Kind.useCandidate:
            attribute = .useCandidate
        case STUNAttribute.Kind.iceControlled:
            attribute = .iceControlled(tieBreaker: try reader.readUInt64())
        case STUNAttribute.Kind.iceControlling:
            attribute = .iceControlling(tieBreaker: try reader.readUInt64())
        case STUNAttribute.Kind.errorCode:
            _ = try reader.readUInt16()
            let hundreds = Int(try reader.readUInt8() & 0x07)
            let number = Int(try reader.readUInt8())
            guard (3...6).contains(hundreds), number < 100 else { throw bad("ERROR-CODE out of range") }
            let reason = try text(try reader.readRemaining(maximum: STUNLimits.maximumReasonBytes), maximum: 763)
            return .errorCode(code: hundreds * 100 + number, reason: reason)
        case STUNAttribute.Kind.unknownAttributes:
            guard value.count % 2 == 0 else { throw bad("UNKNOWN-ATTRIBUTES has an odd length") }
            var types: [UInt16] = []
            while !reader.isAtEnd { types.append(try reader.readUInt16()) }
            return .unknownAttributes(types)
        default:
            return .other(type: type, value: value)
        }
        // Fixed-size attributes must have exactly their size.
        if case .other = attribute {
        } else if !reader.isAtEnd, !isVariableLength(type) {
            throw bad("attribute 0x\(String(type, radix: 16)) is longer than its fixed size")
        }
        return attribute
    }

    private static func isVariableLength(_ type: UInt16) -> Bool {
        [
            STUNAttribute.Kind.username, STUNAttribute.Kind.software, STUNAttribute.Kind.messageIntegrity,
            STUNAttribute.Kind.messageIntegritySHA256,
        ].contains(type)
    }

    private static func xorMask(_ transactionID: [UInt8]) -> [UInt8] {
        [0x21, 0x12, 0xA4, 0x42] + transactionID
    }

    private static func writeAddress(_ address: TransportAddress, mask: [UInt8]?, into writer: inout WireWriter) {
        writer.write(UInt8(0))
        writer.write(UInt8(address.ip.isIPv4 ? 1 : 2))
        let port = mask == nil ? address.port : address.port ^ 0x2112
        writer.write(port)
        let bytes = address.ip.bytes
        writer.write(raw: mask.map { m in bytes.indices.map { bytes[$0] ^ m[$0] } } ?? bytes)
    }

    private static func readAddress(_ reader: inout WireReader, mask: [UInt8]?) throws -> TransportAddress {
        _ = try reader.readUInt8()
        let family = try reader.readUInt8()
        let rawPort = try reader.readUInt16()
        let length: Int
        switch family {
        case 1: length = 4
        case 2: length = 16
        default: throw bad("unknown address family \(family)")
        }
        let raw = try reader.readBytes(length)
        try reader.expectEnd()
        let bytes = mask.map { m in raw.indices.map { raw[$0] ^ m[$0] } } ?? raw
        guard let ip = IPAddress(bytes: bytes) else { throw bad("bad address length") }
        return TransportAddress(ip: ip, port: mask == nil ? rawPort : rawPort ^ 0x2112)
    }

    private static func text(_ bytes: [UInt8], maximum: Int) throws -> String {
        guard bytes.count <= maximum else { throw WireError(.oversize, at: 0, "text attribute over \(maximum) bytes") }
        guard let string = String(validating: bytes, as: UTF8.self) else { throw bad("text is not UTF-8") }
        return string
    }

    private static func bad(_ reason: String) -> WireError { WireError(.invalidValue, at: 0, reason) }
}
