import MeshCore

/// An owner key's signed statement that an agent acts for it until `expiresAt` (decision 0093).
///
/// Fixed-size binary, 153 bytes: `version u8 (1) ‖ owner key (32) ‖ agent key (32) ‖ serial u64 ‖ issuedAt i64 ‖
/// expiresAt i64 ‖ signature (64)`, times in whole seconds since the epoch. The signature covers every byte before
/// it under `SignatureDomain.ownerCertificate`, so no other MeshPeer signature can be replayed as a certificate.
/// Decoding checks only the shape; `verify` (OwnerCertificate+Verify.swift) decides whether to believe it.
public struct OwnerCertificate: Hashable, Sendable {
    public static let version: UInt8 = 1
    public static let byteCount = 1 + 32 + 32 + 8 + 8 + 8 + Ed25519.signatureByteCount

    public let owner: Ed25519.PublicKey
    public let agent: Ed25519.PublicKey
    /// Chosen by the owner, so a revocation can name one certificate among several for the same agent.
    public let serial: UInt64
    public let issuedAt: Timestamp
    public let expiresAt: Timestamp
    public let signature: Ed25519.Signature

    /// Signs a new certificate with the owner's key.
    public static func issue(
        owner: Ed25519.PrivateKey,
        agent: Ed25519.PublicKey,
        serial: UInt64,
        issuedAt: Timestamp,
        expiresAt: Timestamp
    ) -> OwnerCertificate {
        let unsigned = signedBytes(
            owner: owner.publicKey,
            agent: agent,
            serial: serial,
            issuedAt: issuedAt,
            expiresAt: expiresAt
        )
        return OwnerCertificate(
            owner: owner.publicKey,
            agent: agent,
            serial: serial,
            issuedAt: Timestamp(secondsSinceEpoch: issuedAt.secondsSinceEpoch),
            expiresAt: Timestamp(secondsSinceEpoch: expiresAt.secondsSinceEpoch),
            signature: owner.signature(for: unsigned, domain: .ownerCertificate)
        )
    }

    init(
        owner: Ed25519.PublicKey,
        agent: Ed25519.PublicKey,
        serial: UInt64,
        issuedAt: Timestamp,
        expiresAt: Timestamp,
        signature: Ed25519.Signature
    ) {
        self.owner = owner
        self.agent = agent
        self.serial = serial
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.signature = signature
    }

    static func signedBytes(
        owner: Ed25519.PublicKey,
        agent: Ed25519.PublicKey,
        serial: UInt64,
        issuedAt: Timestamp,
        expiresAt: Timestamp
    ) -> [UInt8] {
        var writer = WireWriter(capacity: OwnerCertificate.byteCount)
        writer.write(OwnerCertificate.version)
        writer.write(raw: owner.rawRepresentation)
        writer.write(raw: agent.rawRepresentation)
        writer.write(serial)
        writer.write(issuedAt.secondsSinceEpoch)
        writer.write(expiresAt.secondsSinceEpoch)
        return writer.bytes
    }

    public func encoded() -> [UInt8] {
        var bytes = OwnerCertificate.signedBytes(
            owner: owner,
            agent: agent,
            serial: serial,
            issuedAt: issuedAt,
            expiresAt: expiresAt
        )
        bytes.append(contentsOf: signature.rawRepresentation)
        return bytes
    }

    /// Strict: exactly `byteCount` bytes, version 1, valid key encodings, `issuedAt < expiresAt`; throws `WireError`.
    public init(decoding bytes: [UInt8]) throws {
        guard bytes.count == OwnerCertificate.byteCount else {
            throw WireError(
                .oversize,
                at: 0,
                "an owner certificate is \(OwnerCertificate.byteCount) bytes, not \(bytes.count)"
            )
        }
        var reader = WireReader(bytes)
        try self.init(from: &reader)
        try reader.expectEnd()
    }

    init(from reader: inout WireReader) throws {
        let start = reader.position
        let version = try reader.readUInt8()
        guard version == OwnerCertificate.version else {
            throw WireError(.unsupportedVersion, at: start, "owner certificate version \(version) is not supported")
        }
        owner = try reader.readPublicKey()
        agent = try reader.readPublicKey()
        serial = try reader.readUInt64()
        issuedAt = Timestamp(secondsSinceEpoch: try reader.readSeconds())
        expiresAt = Timestamp(secondsSinceEpoch: try reader.readSeconds())
        guard issuedAt < expiresAt else {
            throw WireError(.invalidValue, at: start, "an owner certificate expires after it is issued")
        }
        signature = try reader.readSignature()
    }

    func encode(to writer: inout WireWriter) {
        writer.write(raw: encoded())
    }
}

extension WireReader {
    /// Whole seconds since the epoch that a `Timestamp` holds exactly (nanoseconds in an `Int64`: ±292 years).
    mutating func readSeconds() throws -> Int64 {
        let start = position
        let seconds = try readInt64()
        guard (-9_000_000_000...9_000_000_000).contains(seconds) else {
            throw WireError(.invalidValue, at: start, "a time of \(seconds) s is out of range")
        }
        return seconds
    }
}
