import Foundation
import Kademlia
import MeshCore
import Testing

@testable import MeshPeer

/// Owner certificates and revocations (decision 0093): the codec is strict and every refusal is reachable.
@Suite struct OwnerCertificateTests {
    let owner: Ed25519.PrivateKey = {
        var random = SeededRandom(seed: 930)
        return Ed25519.PrivateKey(using: &random)
    }()
    let stranger: Ed25519.PrivateKey = {
        var random = SeededRandom(seed: 931)
        return Ed25519.PrivateKey(using: &random)
    }()
    let agent = Agent(seed: 932)
    let other = Agent(seed: 933)

    func certificate(serial: UInt64 = 7, days: Int64 = 30, by key: Ed25519.PrivateKey? = nil) -> OwnerCertificate {
        OwnerCertificate.issue(
            owner: key ?? owner,
            agent: agent.key,
            serial: serial,
            issuedAt: epoch,
            expiresAt: epoch + .seconds(days * 86_400)
        )
    }

    func refusal(_ result: Result<Ed25519.PublicKey, CertificateRefusal>) -> CertificateRefusal.Code? {
        if case .failure(let refusal) = result { return refusal.code }
        return nil
    }

    @Test func aCertificateRoundTripsAndVerifies() throws {
        let issued = certificate()
        let bytes = issued.encoded()
        #expect(bytes.count == OwnerCertificate.byteCount)
        let decoded = try OwnerCertificate(decoding: bytes)
        #expect(decoded == issued)
        let result = decoded.verify(presentedBy: agent.key, owners: [owner.publicKey], revocations: [], now: epoch)
        #expect(result == .success(owner.publicKey))
        #expect(
            decoded.verify(presentedBy: agent.key, owners: nil, revocations: [], now: epoch)
                == .success(owner.publicKey)
        )
    }

    @Test func theCodecRefusesEveryMalformedShape() throws {
        let bytes = certificate().encoded()
        #expect(throws: WireError.self) { try OwnerCertificate(decoding: Array(bytes.dropLast())) }
        #expect(throws: WireError.self) { try OwnerCertificate(decoding: bytes + [0]) }
        #expect(throws: WireError.self) { try OwnerCertificate(decoding: []) }
        var version = bytes
        version[0] = 2
        #expect(throws: WireError.self) { try OwnerCertificate(decoding: version) }
        // Expiry before issue.
        let backwards = OwnerCertificate.signedBytes(
            owner: owner.publicKey,
            agent: agent.key,
            serial: 1,
            issuedAt: epoch,
            expiresAt: epoch - .seconds(1)
        )
        #expect(throws: WireError.self) {
            try OwnerCertificate(decoding: backwards + [UInt8](repeating: 0, count: 64))
        }
        // A time that does not fit a Timestamp.
        var far = bytes
        for index in 73..<81 { far[index] = 0x7f }
        #expect(throws: WireError.self) { try OwnerCertificate(decoding: far) }
    }

    @Test func aForgedCertificateIsRefused() throws {
        var bytes = certificate().encoded()
        bytes[66] ^= 1  // the serial, under the signature
        let forged = try OwnerCertificate(decoding: bytes)
        #expect(refusal(forged.verify(presentedBy: agent.key, owners: nil, revocations: [], now: epoch)) == .forged)
        // A signature made under another domain (here, a knock's) is not a certificate signature.
        let unsigned = OwnerCertificate.signedBytes(
            owner: owner.publicKey,
            agent: agent.key,
            serial: 7,
            issuedAt: epoch,
            expiresAt: epoch + .seconds(86_400)
        )
        let crossDomain = try OwnerCertificate(
            decoding: unsigned + owner.signature(for: unsigned, domain: .knock).rawRepresentation
        )
        #expect(
            refusal(crossDomain.verify(presentedBy: agent.key, owners: nil, revocations: [], now: epoch)) == .forged
        )
    }

    @Test func aCertificateForAnotherAgentIsRefused() {
        let result = certificate().verify(presentedBy: other.key, owners: nil, revocations: [], now: epoch)
        #expect(refusal(result) == .otherAgent)
    }

    @Test func anUnlistedOwnerIsRefused() {
        let result = certificate(by: stranger).verify(
            presentedBy: agent.key,
            owners: [owner.publicKey],
            revocations: [],
            now: epoch
        )
        #expect(refusal(result) == .ownerNotListed)
    }

    @Test func expiryAndNotYetValidAreRefusedAtTheirBoundaries() {
        let issued = certificate(days: 1)
        let expiry = epoch + .seconds(86_400)
        #expect(
            issued.verify(presentedBy: agent.key, owners: nil, revocations: [], now: expiry - .seconds(1))
                == .success(owner.publicKey)
        )
        #expect(refusal(issued.verify(presentedBy: agent.key, owners: nil, revocations: [], now: expiry)) == .expired)
        let early = epoch - OwnerCertificate.maximumClockSkew - .seconds(1)
        #expect(
            refusal(issued.verify(presentedBy: agent.key, owners: nil, revocations: [], now: early)) == .notYetValid
        )
        let withinSkew = epoch - OwnerCertificate.maximumClockSkew
        #expect(
            issued.verify(presentedBy: agent.key, owners: nil, revocations: [], now: withinSkew)
                == .success(owner.publicKey)
        )
    }

    @Test func onlyAnAuthenticRevocationOfTheSameSerialRevokes() throws {
        let issued = certificate(serial: 7)
        let revocation = OwnerRevocation.issue(owner: owner, agent: agent.key, serial: 7, revokedAt: epoch)
        let decoded = try OwnerRevocation(decoding: revocation.encoded())
        #expect(decoded == revocation)
        #expect(revocation.encoded().count == OwnerRevocation.byteCount)
        #expect(
            refusal(issued.verify(presentedBy: agent.key, owners: nil, revocations: [decoded], now: epoch)) == .revoked
        )
        // Another serial, another owner, or a forged revocation leaves the certificate standing.
        let otherSerial = OwnerRevocation.issue(owner: owner, agent: agent.key, serial: 8, revokedAt: epoch)
        let otherOwner = OwnerRevocation.issue(owner: stranger, agent: agent.key, serial: 7, revokedAt: epoch)
        var forgedBytes = revocation.encoded()
        forgedBytes[80] ^= 1  // revokedAt
        let forged = try OwnerRevocation(decoding: forgedBytes)
        #expect(!forged.isAuthentic)
        let standing = issued.verify(
            presentedBy: agent.key,
            owners: nil,
            revocations: [otherSerial, otherOwner, forged],
            now: epoch
        )
        #expect(standing == .success(owner.publicKey))
        #expect(throws: WireError.self) { try OwnerRevocation(decoding: Array(revocation.encoded().dropLast())) }
    }

    @Test func credentialsCarryOneRevocationAndFitTheRecordBudget() throws {
        let issued = certificate()
        let older = OwnerRevocation.issue(owner: owner, agent: agent.key, serial: 5, revokedAt: epoch)
        let newer = OwnerRevocation.issue(owner: owner, agent: agent.key, serial: 7, revokedAt: epoch + .seconds(10))
        let foreign = OwnerRevocation.issue(
            owner: stranger,
            agent: agent.key,
            serial: 7,
            revokedAt: epoch + .seconds(20)
        )
        let credentials = OwnerCredentials(certificate: issued, revocations: [older, foreign, newer])
        #expect(credentials.revocations == [newer])
        let bytes = credentials.encoded()
        #expect(bytes.count == OwnerCredentials.maximumByteCount)
        #expect(try OwnerCredentials(decoding: bytes) == credentials)
        #expect(refusal(credentials.verify(presentedBy: agent.key, owners: nil, now: epoch)) == .revoked)
        // Beside the knock-policy (9), exposure (1) and invite-slot (32) extensions, each with its 4-byte header.
        #expect((4 + bytes.count) + (4 + 9) + (4 + 1) + (4 + 32) <= AgentRecord.maximumExtensionBytes)
        // Two revocations, a truncated one, or trailing bytes are refused.
        var two = issued.encoded()
        two.append(2)
        two += Array(bytes.suffix(80)) + Array(bytes.suffix(80))
        #expect(throws: WireError.self) { try OwnerCredentials(decoding: two) }
        #expect(throws: WireError.self) { try OwnerCredentials(decoding: Array(bytes.dropLast())) }
        #expect(throws: WireError.self) { try OwnerCredentials(decoding: bytes + [0]) }
        // A revocation whose signature does not verify decodes but revokes nothing.
        var forged = bytes
        forged[forged.count - 1] ^= 1
        let ignored = try OwnerCredentials(decoding: forged)
        #expect(
            credentials.verify(presentedBy: agent.key, owners: nil, extraRevocations: [], now: epoch)
                != ignored.verify(presentedBy: agent.key, owners: nil, now: epoch)
        )
        #expect(ignored.verify(presentedBy: agent.key, owners: nil, now: epoch) == .success(owner.publicKey))
    }

    @Test func aKnockBodyCarriesCredentialsAndOldBodiesStillDecode() throws {
        let credentials = OwnerCredentials(certificate: certificate())
        let body = try KnockBody(
            purpose: "hello",
            senderRelays: ["wss://relay.example:443"],
            ownerCredentials: credentials
        )
        guard case .knock(let decoded) = try SessionPayload.decode(SessionPayload.knock(body).encoded()) else {
            Issue.record("not a knock")
            return
        }
        #expect(decoded.ownerCredentials == credentials)
        let plain = try KnockBody(purpose: "hello")
        let plainBytes = SessionPayload.knock(plain).encoded()
        #expect(try SessionPayload.decode(plainBytes) == .knock(plain))
        // A zero flag where credentials would be is not a second encoding of "none".
        #expect(throws: WireError.self) { try SessionPayload.decode(plainBytes + [0]) }
    }

    @Test func theLargestKnockWithCredentialsFitsItsBounds() throws {
        var random = SeededRandom(seed: 934)
        let largest = try largestKnockBody()
        let body = try KnockBody(
            purpose: largest.purpose,
            introducedBy: largest.introducedBy,
            senderRelays: largest.senderRelays,
            senderName: largest.senderName,
            ownerCredentials: OwnerCredentials(
                certificate: certificate(),
                revocations: [OwnerRevocation.issue(owner: owner, agent: agent.key, serial: 1, revokedAt: epoch)]
            )
        )
        let frame = try knock(from: agent, to: other, body: body, random: &random)
        #expect(frame.sealed.wireBytes.count <= KnockFrame.maximumSealedByteCount)
        #expect(MeshEnvelope.knock(frame).encoded().count <= KnockFrame.maximumEnvelopeByteCount)
    }

    @Test func tiersAreOrdered() {
        #expect(TrustTier.allCases.sorted() == [.unknown, .knockedAccepted, .contact, .ownerVerified])
        #expect(TrustTier(rawValue: "owner-verified") == .ownerVerified)
    }
}

/// The seeds of `Fuzz/Sources/FuzzOwnerCertificate` (selector byte, then the encoding), from seeded keys (public
/// keys and signatures only). `MESHPEER_WRITE_FUZZ_SEEDS=1 swift test --filter OwnerCertificateSeedTests` rewrites
/// them; every run checks that the committed seeds are the ones these keys make.
@Suite struct OwnerCertificateSeedTests {
    var folder: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fuzz/Seeds/FuzzOwnerCertificate")
    }

    func seeds() -> [String: [UInt8]] {
        var random = SeededRandom(seed: 935)
        let owner = Ed25519.PrivateKey(using: &random)
        let agent = Agent(seed: 936).key
        let certificate = OwnerCertificate.issue(
            owner: owner,
            agent: agent,
            serial: 1,
            issuedAt: epoch,
            expiresAt: epoch + .seconds(86_400)
        )
        let revocation = OwnerRevocation.issue(owner: owner, agent: agent, serial: 1, revokedAt: epoch)
        return [
            "certificate": [0] + certificate.encoded(),
            "revocation": [1] + revocation.encoded(),
            "credentials": [2] + OwnerCredentials(certificate: certificate, revocations: [revocation]).encoded(),
            "credentials-bare": [2] + OwnerCredentials(certificate: certificate).encoded(),
        ]
    }

    @Test func theCommittedSeedsAreCurrent() throws {
        if ProcessInfo.processInfo.environment["MESHPEER_WRITE_FUZZ_SEEDS"] == "1" {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for (name, bytes) in seeds() {
                try Data(bytes).write(to: folder.appendingPathComponent(name))
            }
        }
        for (name, bytes) in seeds() {
            let committed = try Data(contentsOf: folder.appendingPathComponent(name))
            #expect([UInt8](committed) == bytes, "seed \(name) is stale")
        }
    }
}
