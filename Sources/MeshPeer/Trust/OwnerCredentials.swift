import Kademlia
import MeshCore

/// What an agent shows of its owner: its certificate and the owner's revocations it holds. Carried in the agent's
/// record (extension `RecordExtension.ownerCredentials`) and in its knock bodies (decision 0093).
///
/// `certificate (153) ‖ count u8 (≤ 1) ‖ revocations (serial u64 ‖ revokedAt i64 ‖ signature, 80 each)`: a revocation
/// here names the certificate's owner and agent implicitly, so the whole is at most 234 bytes and, with its 4-byte
/// header, fits beside the knock-policy, exposure and invite-slot extensions in `AgentRecord.maximumExtensionBytes`.
public struct OwnerCredentials: Hashable, Sendable {
    public static let maximumRevocations = 1
    static let compactRevocationByteCount = 8 + 8 + Ed25519.signatureByteCount
    public static let maximumByteCount =
        OwnerCertificate.byteCount + 1 + maximumRevocations * compactRevocationByteCount

    public let certificate: OwnerCertificate
    public let revocations: [OwnerRevocation]

    /// Keeps the newest `maximumRevocations` revocations that concern `certificate`'s owner and agent.
    public init(certificate: OwnerCertificate, revocations: [OwnerRevocation] = []) {
        self.certificate = certificate
        self.revocations = Array(
            revocations
                .filter { $0.owner == certificate.owner && $0.agent == certificate.agent }
                .sorted { $0.revokedAt > $1.revokedAt }
                .prefix(OwnerCredentials.maximumRevocations)
        )
    }

    public func encoded() -> [UInt8] {
        var writer = WireWriter(capacity: OwnerCredentials.maximumByteCount)
        encode(to: &writer)
        return writer.bytes
    }

    func encode(to writer: inout WireWriter) {
        writer.write(raw: certificate.encoded())
        writer.writeCount(revocations.count, .uint8)
        for revocation in revocations {
            writer.write(revocation.serial)
            writer.write(revocation.revokedAt.secondsSinceEpoch)
            writer.write(raw: revocation.signature.rawRepresentation)
        }
    }

    /// Strict: at most one revocation, nothing left over. A revocation's signature is not checked here (`verify`
    /// ignores one that is not authentic).
    public init(decoding bytes: [UInt8]) throws {
        guard bytes.count <= OwnerCredentials.maximumByteCount else {
            throw WireError(
                .oversize,
                at: 0,
                "owner credentials are at most \(OwnerCredentials.maximumByteCount) bytes"
            )
        }
        var reader = WireReader(bytes)
        try self.init(from: &reader)
        try reader.expectEnd()
    }

    init(from reader: inout WireReader) throws {
        let certificate = try OwnerCertificate(from: &reader)
        let count = try reader.readCount(.uint8, maximum: OwnerCredentials.maximumRevocations)
        var revocations: [OwnerRevocation] = []
        for _ in 0..<count {
            revocations.append(
                OwnerRevocation(
                    owner: certificate.owner,
                    agent: certificate.agent,
                    serial: try reader.readUInt64(),
                    revokedAt: Timestamp(secondsSinceEpoch: try reader.readSeconds()),
                    signature: try reader.readSignature()
                )
            )
        }
        self.certificate = certificate
        self.revocations = revocations
    }

    /// Verifies the certificate for `agent` against the revocations carried here and any from elsewhere.
    public func verify(
        presentedBy agent: Ed25519.PublicKey,
        owners: Set<Ed25519.PublicKey>?,
        extraRevocations: [OwnerRevocation] = [],
        now: Timestamp
    ) -> Result<Ed25519.PublicKey, CertificateRefusal> {
        certificate.verify(presentedBy: agent, owners: owners, revocations: revocations + extraRevocations, now: now)
    }
}

extension OwnerCredentials {
    /// As the agent's record carries it.
    public var recordExtension: RecordExtension {
        RecordExtension(type: RecordExtension.ownerCredentials, value: encoded())
    }
}

extension RecordExtension {
    /// The agent's `OwnerCredentials` (decision 0093). The DHT does not read it; peers that look the agent up do.
    public static let ownerCredentials: UInt16 = 4
}
