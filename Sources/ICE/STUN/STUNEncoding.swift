import MeshCore

extension STUNMessage {
    /// The message on the wire. With `integrityKey`, MESSAGE-INTEGRITY (HMAC-SHA1) is appended, and with
    /// `sha256Integrity` also MESSAGE-INTEGRITY-SHA256; FINGERPRINT comes last when asked (RFC 8489 §14.5-14.7).
    /// `.messageIntegrity`, `.messageIntegritySHA256` and `.fingerprint` in `attributes` are skipped: they are
    /// computed here.
    public func encoded(
        integrityKey: [UInt8]? = nil,
        sha256Integrity: Bool = false,
        fingerprint: Bool = true
    )
        -> [UInt8]
    {
        var writer = WireWriter(capacity: 128)
        writer.write(typeField)
        writer.write(UInt16(0))
        writer.write(ICEModule.magicCookie)
        writer.write(raw: transactionID)
        var bytes = writer.bytes
        for attribute in attributes {
            switch attribute {
            case .messageIntegrity, .messageIntegritySHA256, .fingerprint: continue
            default:
                Self.append(
                    attribute.type,
                    STUNAttributeCodec.encodeValue(attribute, transactionID: transactionID),
                    to: &bytes
                )
            }
        }
        if let key = integrityKey {
            Self.setLength(of: &bytes, to: bytes.count - Self.headerByteCount + 24)
            Self.append(
                STUNAttribute.Kind.messageIntegrity,
                HMAC<SHA1>.authenticationCode(for: bytes, key: key),
                to: &bytes
            )
            if sha256Integrity {
                Self.setLength(of: &bytes, to: bytes.count - Self.headerByteCount + 36)
                let code = HMAC<SHA256>.authenticationCode(for: bytes, key: key)
                Self.append(STUNAttribute.Kind.messageIntegritySHA256, code, to: &bytes)
            }
        }
        if fingerprint {
            Self.setLength(of: &bytes, to: bytes.count - Self.headerByteCount + 8)
            let crc = CRC32.checksum(bytes) ^ Self.fingerprintXOR
            Self.append(
                STUNAttribute.Kind.fingerprint,
                [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: crc >> $0) },
                to: &bytes
            )
        }
        Self.setLength(of: &bytes, to: bytes.count - Self.headerByteCount)
        return bytes
    }

    static func append(_ type: UInt16, _ value: [UInt8], to bytes: inout [UInt8]) {
        bytes += [UInt8(type >> 8), UInt8(type & 0xFF), UInt8(value.count >> 8), UInt8(value.count & 0xFF)]
        bytes += value
        bytes += [UInt8](repeating: 0, count: (4 - value.count % 4) % 4)
    }

    static func setLength(of bytes: inout [UInt8], to length: Int) {
        bytes[2] = UInt8(truncatingIfNeeded: length >> 8)
        bytes[3] = UInt8(truncatingIfNeeded: length)
    }
}
