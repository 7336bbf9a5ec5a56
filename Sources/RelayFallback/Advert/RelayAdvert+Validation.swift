import MeshCore

/// Why an advert was rejected.
public struct RelayAdvertError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case badSignature = "bad-signature"
        case expired
        case notYetValid = "not-yet-valid"
        case lifetimeTooLong = "lifetime-too-long"
        case noAddresses = "no-addresses"
        case badAddress = "bad-address"
        case wrongProvider = "wrong-provider"
        case tooLargeForDHT = "too-large-for-dht"
    }

    public let code: Code
    public let reason: String
    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }
    public var description: String { "relay advert rejected (\(code.rawValue)): \(reason)" }
}

extension RelayAdvert {
    /// Strict decoding of untrusted bytes: bounded, no trailing bytes. Validate separately with `validate`.
    public static func decode(_ bytes: [UInt8]) throws -> RelayAdvert {
        guard bytes.count <= maximumEncodedBytes else {
            throw WireError(.oversize, at: 0, "a relay advert is at most \(maximumEncodedBytes) bytes")
        }
        var reader = WireReader(bytes)
        let keyStart = reader.position
        guard let key = try? Ed25519.PublicKey(rawRepresentation: try reader.readBytes(Ed25519.publicKeyByteCount))
        else { throw WireError(.invalidValue, at: keyStart, "not a valid Ed25519 public key") }
        let count = try reader.readCount(.uint8, maximum: maximumAddresses)
        var addresses: [String] = []
        for _ in 0..<count { addresses.append(try reader.readString(.uint8, maximum: maximumAddressBytes)) }
        var advert = RelayAdvert(
            relayKey: key,
            addresses: addresses,
            limits: RelayLimits(),
            issuedAt: 0,
            lifetimeSeconds: 0
        )
        advert.maximumConnections = try reader.readUInt32()
        advert.storageBytes = try reader.readUInt64()
        advert.maximumEnvelopeBytes = try reader.readUInt32()
        advert.ttlSeconds = try reader.readUInt32()
        advert.mailboxMaximumCount = try reader.readUInt32()
        advert.mailboxMaximumBytes = try reader.readUInt64()
        advert.issuedAt = try reader.readInt64()
        advert.expiresAt = try reader.readInt64()
        advert.signature = try Ed25519.Signature(rawRepresentation: try reader.readBytes(Ed25519.signatureByteCount))
        try reader.expectEnd()
        return advert
    }

    /// Signature, lifetime window (with `skew` of tolerance for clocks) and address syntax.
    public func validate(now: Timestamp, skewSeconds: Int64 = 300) throws {
        guard let signature, relayKey.isValidSignature(signature, for: signedBytes, domain: .relayAdvert) else {
            throw RelayAdvertError(.badSignature, "the signature does not verify under \(SignatureDomain.relayAdvert)")
        }
        let seconds = now.secondsSinceEpoch
        guard issuedAt <= seconds + skewSeconds else { throw RelayAdvertError(.notYetValid, "issued in the future") }
        guard expiresAt > seconds else { throw RelayAdvertError(.expired, "expired at \(expiresAt)") }
        guard expiresAt - issuedAt <= Self.maximumLifetimeSeconds else {
            throw RelayAdvertError(.lifetimeTooLong, "an advert lives at most \(Self.maximumLifetimeSeconds) s")
        }
        guard !addresses.isEmpty else { throw RelayAdvertError(.noAddresses, "an advert names at least one address") }
        for address in addresses where RelayAddress(address) == nil {
            throw RelayAdvertError(.badAddress, "\(address) is not a ws://host:port/path or wss:// URL")
        }
    }
}
