/// `did:key` identifiers for Ed25519 keys (W3C CCG did:key method, multicodec 0xed01, base58btc multibase).
///
/// Example: `did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK`.
public enum DIDKey {
    public static let prefix = "did:key:"
    /// The unsigned-varint encoding of multicodec 0xed (ed25519-pub).
    static let ed25519Multicodec: [UInt8] = [0xED, 0x01]
    /// Longer input is rejected before any decoding work.
    public static let maximumLength = 128

    public static func encode(_ key: Ed25519.PublicKey) -> String {
        prefix + "z" + Base58.encode(ed25519Multicodec + key.rawRepresentation)
    }

    /// Strict decoding: exactly one form is accepted for each key, so two strings never name the same agent.
    public static func decode(_ did: String) throws -> Ed25519.PublicKey {
        guard did.utf8.count <= maximumLength else {
            throw DIDError(.tooLong, "a did:key is at most \(maximumLength) characters")
        }
        guard did.hasPrefix(prefix) else {
            throw DIDError(.notDIDKey, "expected a string starting with \"did:key:\"")
        }
        let multibase = did.dropFirst(prefix.count)
        guard multibase.first == "z" else {
            throw DIDError(.unsupportedMultibase, "only base58btc multibase ('z') is supported")
        }
        guard let decoded = Base58.decode(String(multibase.dropFirst())) else {
            throw DIDError(.invalidEncoding, "the key is not valid base58btc")
        }
        guard decoded.count >= 2, Array(decoded.prefix(2)) == ed25519Multicodec else {
            throw DIDError(.unsupportedKeyType, "only Ed25519 keys (multicodec 0xed01) are supported")
        }
        guard decoded.count == 2 + Ed25519.publicKeyByteCount else {
            throw DIDError(.invalidKeyLength, "an Ed25519 key is 32 bytes, found \(decoded.count - 2)")
        }
        let key: Ed25519.PublicKey
        do {
            key = try Ed25519.PublicKey(rawRepresentation: Array(decoded.dropFirst(2)))
        } catch {
            throw DIDError(.invalidKey, "the DID does not hold a valid Ed25519 public key")
        }
        // Reject non-canonical base58 (e.g. extra leading '1's) by re-encoding.
        guard encode(key) == did else {
            throw DIDError(.invalidEncoding, "non-canonical did:key encoding")
        }
        return key
    }
}

public struct DIDError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case tooLong = "too-long"
        case notDIDKey = "not-did-key"
        case unsupportedMultibase = "unsupported-multibase"
        case invalidEncoding = "invalid-encoding"
        case unsupportedKeyType = "unsupported-key-type"
        case invalidKeyLength = "invalid-key-length"
        case invalidKey = "invalid-key"
    }

    public let code: Code
    public let reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "malformed DID (\(code.rawValue)): \(reason)" }
}

extension Ed25519.PublicKey {
    public var did: String { DIDKey.encode(self) }
}
