import MeshCore

/// An owner key's signed statement that one of its certificates (`agent`, `serial`) no longer holds (decision 0093).
///
/// Fixed-size binary, 145 bytes: `version u8 (1) ‖ owner key (32) ‖ agent key (32) ‖ serial u64 ‖ revokedAt i64 ‖
/// signature (64)`, signed under `SignatureDomain.ownerRevocation`. The agent publishes it in its record beside its
/// certificate (`OwnerCredentials`), so a peer that looks the agent up sees it within one record TTL.
public struct OwnerRevocation: Hashable, Sendable {
    public static let version: UInt8 = 1
    public static let byteCount = 1 + 32 + 32 + 8 + 8 + Ed25519.signatureByteCount

    public let owner: Ed25519.PublicKey
    public let agent: Ed25519.PublicKey
    public let serial: UInt64
    public let revokedAt: Timestamp
    public let signature: Ed25519.Signature

    public static func issue(
        owner: Ed25519.PrivateKey,
        agent: Ed25519.PublicKey,
        serial: UInt64,
        revokedAt: Timestamp
    ) -> OwnerRevocation {
        let seconds = Timestamp(secondsSinceEpoch: revokedAt.secondsSinceEpoch)
        let unsigned = signedBytes(owner: owner.publicKey, agent: agent, serial: serial, revokedAt: seconds)
        return OwnerRevocation(
            owner: owner.publicKey,
            agent: agent,
            serial: serial,
            revokedAt: seconds,
            signature: owner.signature(for: unsigned, domain: .ownerRevocation)
        )
    }

    init(
        owner: Ed25519.PublicKey,
        agent: Ed25519.PublicKey,
        serial: UInt64,
        revokedAt: Timestamp,
        signature: Ed25519.Signature
    ) {
        self.owner = owner
        self.agent = agent
        self.serial = serial
        self.revokedAt = revokedAt
        self.signature = signature
    }

    static func signedBytes(
        owner: Ed25519.PublicKey,
        agent: Ed25519.PublicKey,
        serial: UInt64,
        revokedAt: Timestamp
    ) -> [UInt8] {
        var writer = WireWriter(capacity: OwnerRevocation.byteCount)
        writer.write(OwnerRevocation.version)
        writer.write(raw: owner.rawRepresentation)
        writer.write(raw: agent.rawRepresentation)
        writer.write(serial)
        writer.write(revokedAt.secondsSinceEpoch)
        return writer.bytes
    }

    public func encoded() -> [UInt8] {
        var bytes = OwnerRevocation.signedBytes(owner: owner, agent: agent, serial: serial, revokedAt: revokedAt)
        bytes.append(contentsOf: signature.rawRepresentation)
        return bytes
    }

    /// Strict: exactly `byteCount` bytes, version 1, valid key encodings; throws `WireError`.
    public init(decoding bytes: [UInt8]) throws {
        guard bytes.count == OwnerRevocation.byteCount else {
            throw WireError(
                .oversize,
                at: 0,
                "an owner revocation is \(OwnerRevocation.byteCount) bytes, not \(bytes.count)"
            )
        }
        var reader = WireReader(bytes)
        try self.init(from: &reader)
        try reader.expectEnd()
    }

    init(from reader: inout WireReader) throws {
        let start = reader.position
        let version = try reader.readUInt8()
        guard version == OwnerRevocation.version else {
            throw WireError(.unsupportedVersion, at: start, "owner revocation version \(version) is not supported")
        }
        owner = try reader.readPublicKey()
        agent = try reader.readPublicKey()
        serial = try reader.readUInt64()
        revokedAt = Timestamp(secondsSinceEpoch: try reader.readSeconds())
        signature = try reader.readSignature()
    }

    /// The owner really signed it. A revocation that does not verify is ignored (it must not let anyone withdraw
    /// someone else's certificate).
    public var isAuthentic: Bool {
        owner.isValidSignature(
            signature,
            for: OwnerRevocation.signedBytes(owner: owner, agent: agent, serial: serial, revokedAt: revokedAt),
            domain: .ownerRevocation
        )
    }

    /// Withdraws `certificate`: same owner, same agent, same serial, and authentic.
    public func revokes(_ certificate: OwnerCertificate) -> Bool {
        owner == certificate.owner && agent == certificate.agent && serial == certificate.serial && isAuthentic
    }
}
