import MeshCore

/// A decoded message plus what verification needs: the raw bytes and where the integrity attributes start.
public struct DecodedSTUN: Sendable {
    public let message: STUNMessage
    public let raw: [UInt8]
    /// Offsets of the MESSAGE-INTEGRITY and MESSAGE-INTEGRITY-SHA256 attribute headers, when present.
    public let integrityOffset: Int?
    public let integritySHA256Offset: Int?
    /// Comprehension-required types we do not understand: a request carrying any gets a 420 (RFC 8489 §6.3.1).
    public let unknownRequired: [UInt16]
    public let hasFingerprint: Bool

    /// Checks every integrity attribute present against the short-term key (RFC 8489 §9.1.3); false when there
    /// is none. Comparisons are constant time.
    public func verifyIntegrity(key: [UInt8]) -> Bool {
        guard integrityOffset != nil || integritySHA256Offset != nil else { return false }
        if let offset = integrityOffset, !check(at: offset, key: key, sha256: false) { return false }
        if let offset = integritySHA256Offset, !check(at: offset, key: key, sha256: true) { return false }
        return true
    }

    private func check(at offset: Int, key: [UInt8], sha256: Bool) -> Bool {
        let valueLength = Int(raw[offset + 2]) << 8 | Int(raw[offset + 3])
        var covered = Array(raw[0..<offset])
        STUNMessage.setLength(of: &covered, to: offset - STUNMessage.headerByteCount + 4 + valueLength)
        let received = Array(raw[(offset + 4)..<(offset + 4 + valueLength)])
        let code =
            sha256
            ? HMAC<SHA256>.authenticationCode(for: covered, key: key)
            : HMAC<SHA1>.authenticationCode(for: covered, key: key)
        return ConstantTime.equals(Array(code.prefix(valueLength)), received)
    }
}

extension STUNMessage {
    /// Strict decoding (RFC 8489 §6.3): header checks, bounded attribute count and sizes, a FINGERPRINT that must
    /// be last and correct. Attributes after MESSAGE-INTEGRITY other than the SHA-256 one and FINGERPRINT are
    /// ignored, as the RFC requires. The integrity attributes are not in `message.attributes`: they are checked
    /// through `verifyIntegrity(key:)`. Throws `WireError`; never traps.
    public static func decode(_ bytes: [UInt8]) throws -> DecodedSTUN {
        guard bytes.count <= STUNLimits.maximumMessageBytes else {
            throw WireError(.oversize, at: 0, "STUN message over \(STUNLimits.maximumMessageBytes) bytes")
        }
        var reader = WireReader(bytes)
        let type = try reader.readUInt16()
        guard type & 0xC000 == 0 else { throw WireError(.badMagic, at: 0, "top bits of a STUN message are not zero") }
        let length = Int(try reader.readUInt16())
        guard try reader.readUInt32() == ICEModule.magicCookie else {
            throw WireError(.badMagic, at: 4, "no STUN magic cookie")
        }
        let transactionID = try reader.readBytes(12)
        guard length % 4 == 0, length == bytes.count - headerByteCount else {
            throw WireError(.invalidValue, at: 2, "STUN length \(length) does not match the datagram")
        }
        let (method, messageClass) = split(typeField: type)
        var attributes: [STUNAttribute] = []
        var unknown: [UInt16] = []
        var integrity: Int?
        var integritySHA256: Int?
        var fingerprint = false
        while !reader.isAtEnd {
            let offset = reader.position
            guard !fingerprint else { throw WireError(.trailingBytes, at: offset, "attribute after FINGERPRINT") }
            let attributeType = try reader.readUInt16()
            let valueLength = Int(try reader.readUInt16())
            let value = try reader.readBytes(valueLength)
            _ = try reader.readBytes((4 - valueLength % 4) % 4)
            switch attributeType {
            case STUNAttribute.Kind.fingerprint:
                let decoded = try STUNAttributeCodec.decodeValue(type: attributeType, value: value, transactionID: [])
                var covered = Array(bytes[0..<offset])
                setLength(of: &covered, to: offset - headerByteCount + 8)
                guard case .fingerprint(let crc) = decoded, crc == CRC32.checksum(covered) ^ fingerprintXOR else {
                    throw WireError(.invalidValue, at: offset, "FINGERPRINT does not match")
                }
                fingerprint = true
                continue
            case STUNAttribute.Kind.messageIntegrity where integrity == nil && integritySHA256 == nil:
                _ = try STUNAttributeCodec.decodeValue(type: attributeType, value: value, transactionID: [])
                integrity = offset
                continue
            case STUNAttribute.Kind.messageIntegritySHA256 where integritySHA256 == nil:
                _ = try STUNAttributeCodec.decodeValue(type: attributeType, value: value, transactionID: [])
                integritySHA256 = offset
                continue
            default:
                if integrity != nil || integritySHA256 != nil { continue }
            }
            let attribute = try STUNAttributeCodec.decodeValue(
                type: attributeType,
                value: value,
                transactionID: transactionID
            )
            // The limit counts the attributes kept; integrity, FINGERPRINT and ignored trailers are bounded by the
            // message size (at most 375 four-byte attributes fit in 1500 bytes).
            guard attributes.count < STUNLimits.maximumAttributes else {
                throw WireError(.oversize, at: offset, "more than \(STUNLimits.maximumAttributes) attributes")
            }
            if case .other(let t, _) = attribute, STUNAttribute.isComprehensionRequired(t) { unknown.append(t) }
            attributes.append(attribute)
        }
        let message = STUNMessage(messageClass, method: method, transactionID: transactionID, attributes: attributes)
        return DecodedSTUN(
            message: message,
            raw: bytes,
            integrityOffset: integrity,
            integritySHA256Offset: integritySHA256,
            unknownRequired: unknown,
            hasFingerprint: fingerprint
        )
    }
}
