import MeshCore

/// The public half of an agent's prekeys: what its Kademlia agent record carries so others can start a session
/// while it is offline.
///
/// Wire form (version 1): `01 ‖ IK (Ed25519, 32) ‖ SPK (X25519, 32) ‖ Sig(SPK) (64) ‖ n (u8) ‖ n × OPK (32)`.
/// The signature is Ed25519 by the identity key over `SignatureDomain.signedPrekey.prefixed(SPK)`; see
/// docs/decisions/0011-signed-prekey-signature.md.
public struct PrekeyBundle: Hashable, Sendable {
    public static let currentVersion: UInt8 = 1
    /// A bundle lists at most this many one-time prekeys (it has to fit in a DHT record).
    public static let maximumOneTimePrekeys = 100

    public let identityKey: Ed25519.PublicKey
    public let signedPrekey: X25519.PublicKey
    public let signedPrekeySignature: Ed25519.Signature
    public let oneTimePrekeys: [X25519.PublicKey]

    public init(
        identityKey: Ed25519.PublicKey,
        signedPrekey: X25519.PublicKey,
        signedPrekeySignature: Ed25519.Signature,
        oneTimePrekeys: [X25519.PublicKey]
    ) {
        self.identityKey = identityKey
        self.signedPrekey = signedPrekey
        self.signedPrekeySignature = signedPrekeySignature
        self.oneTimePrekeys = Array(oneTimePrekeys.prefix(PrekeyBundle.maximumOneTimePrekeys))
    }

    /// The bytes the identity key signs: the domain label, then the raw signed prekey.
    public static func signedBytes(for signedPrekey: X25519.PublicKey) -> [UInt8] {
        SignatureDomain.signedPrekey.prefixed(signedPrekey.rawRepresentation)
    }

    /// Throws `invalidPrekeySignature` unless the identity key signed this signed prekey.
    public func verify() throws {
        guard
            identityKey.isValidSignature(
                signedPrekeySignature,
                forRaw: PrekeyBundle.signedBytes(for: signedPrekey)
            )
        else {
            throw RatchetError(.invalidPrekeySignature, "the signed prekey's signature does not verify")
        }
    }
}

extension PrekeyBundle: WireEncodable, WireDecodable {
    public func encode(to writer: inout WireWriter) {
        writer.write(PrekeyBundle.currentVersion)
        writer.write(raw: identityKey.rawRepresentation)
        writer.write(raw: signedPrekey.rawRepresentation)
        writer.write(raw: signedPrekeySignature.rawRepresentation)
        writer.writeCount(oneTimePrekeys.count, .uint8)
        for key in oneTimePrekeys { writer.write(raw: key.rawRepresentation) }
    }

    /// Decodes and checks the structure; call `verify()` before using the bundle.
    public init(from reader: inout WireReader) throws {
        let start = reader.position
        guard try reader.readUInt8() == PrekeyBundle.currentVersion else {
            throw WireError(.unsupportedVersion, at: start, "unknown prekey bundle version")
        }
        do {
            identityKey = try Ed25519.PublicKey(rawRepresentation: reader.readBytes(Ed25519.publicKeyByteCount))
            signedPrekey = try X25519.PublicKey(rawRepresentation: reader.readBytes(X25519.keyByteCount))
            signedPrekeySignature = try Ed25519.Signature(
                rawRepresentation: reader.readBytes(Ed25519.signatureByteCount)
            )
        } catch let error as CryptoError {
            throw WireError(.invalidValue, at: start, "bad key in prekey bundle: \(error.reason)")
        }
        let count = try reader.readCount(.uint8, maximum: PrekeyBundle.maximumOneTimePrekeys)
        var keys: [X25519.PublicKey] = []
        for _ in 0..<count {
            keys.append(try X25519.PublicKey(rawRepresentation: reader.readBytes(X25519.keyByteCount)))
        }
        oneTimePrekeys = keys
    }
}
