import MeshCore

/// What travels between two agents for one message: a Double Ratchet message, plus the X3DH header while the
/// initiator has not yet heard back.
///
/// Wire form (version 1), all lengths checked before anything is allocated:
/// ```
/// version (u8 = 1) ‖ kind (u8: 1 message, 2 initial)
/// [initial only: IK_A (32) ‖ EK_A (32) ‖ SPK_B (32) ‖ has-OPK (u8 0/1) ‖ [OPK_B (32)]]
/// header length (u8, 40 or 80) ‖ header
/// ciphertext length (u32 BE, 16 ... 1 MiB + 16) ‖ ciphertext
/// ```
public struct RatchetEnvelope: Hashable, Sendable {
    public static let currentVersion: UInt8 = 1
    public static let maximumCiphertextByteCount =
        RatchetLimits.absoluteMaximumPlaintextByteCount + XChaCha20Poly1305.tagByteCount

    public let initialHeader: X3DHInitialHeader?
    public let message: RatchetMessage

    public init(initialHeader: X3DHInitialHeader?, message: RatchetMessage) {
        self.initialHeader = initialHeader
        self.message = message
    }

    enum Kind: UInt8 {
        case message = 1
        case initial = 2
    }
}

extension RatchetEnvelope: WireEncodable, WireDecodable {
    public func encode(to writer: inout WireWriter) {
        writer.write(RatchetEnvelope.currentVersion)
        if let initialHeader {
            writer.write(Kind.initial.rawValue)
            writer.write(raw: initialHeader.encoded)
        } else {
            writer.write(Kind.message.rawValue)
        }
        writer.writeLengthPrefixed(message.header, .uint8)
        writer.writeLengthPrefixed(message.ciphertext, .uint32)
    }

    public init(from reader: inout WireReader) throws {
        let start = reader.position
        guard try reader.readUInt8() == RatchetEnvelope.currentVersion else {
            throw WireError(.unsupportedVersion, at: start, "unknown ratchet envelope version")
        }
        let kindOffset = reader.position
        guard let kind = Kind(rawValue: try reader.readUInt8()) else {
            throw WireError(.unknownType, at: kindOffset, "unknown ratchet envelope kind")
        }
        if kind == .initial {
            let keysOffset = reader.position
            do {
                let identity = try Ed25519.PublicKey(rawRepresentation: reader.readBytes(Ed25519.publicKeyByteCount))
                let ephemeral = try X25519.PublicKey(rawRepresentation: reader.readBytes(X25519.keyByteCount))
                let signed = try X25519.PublicKey(rawRepresentation: reader.readBytes(X25519.keyByteCount))
                let oneTime =
                    try reader.readBool()
                    ? try X25519.PublicKey(rawRepresentation: reader.readBytes(X25519.keyByteCount)) : nil
                initialHeader = X3DHInitialHeader(
                    identityKey: identity,
                    ephemeralKey: ephemeral,
                    signedPrekey: signed,
                    oneTimePrekey: oneTime
                )
            } catch let error as CryptoError {
                throw WireError(.invalidValue, at: keysOffset, "bad key in initial header: \(error.reason)")
            }
        } else {
            initialHeader = nil
        }
        let headerOffset = reader.position
        let header = try reader.readLengthPrefixed(.uint8, maximum: RatchetMessage.encryptedHeaderByteCount)
        guard header.count == RatchetHeader.byteCount || header.count == RatchetMessage.encryptedHeaderByteCount else {
            throw WireError(.invalidValue, at: headerOffset, "a ratchet header is 40 or 80 bytes")
        }
        let bodyOffset = reader.position
        let ciphertext = try reader.readLengthPrefixed(.uint32, maximum: RatchetEnvelope.maximumCiphertextByteCount)
        guard ciphertext.count >= XChaCha20Poly1305.tagByteCount else {
            throw WireError(.invalidValue, at: bodyOffset, "ciphertext shorter than its tag")
        }
        message = RatchetMessage(header: header, ciphertext: ciphertext)
    }

    /// Strict decoding of a whole envelope, with the failure as a typed `RatchetError.malformed`.
    public static func decode(_ bytes: [UInt8]) throws -> RatchetEnvelope {
        do {
            return try RatchetEnvelope(wireBytes: bytes)
        } catch let error as WireError {
            throw RatchetError(.malformed, error.description)
        }
    }
}
