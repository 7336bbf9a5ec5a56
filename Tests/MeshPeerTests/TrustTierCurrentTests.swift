import MeshCore
import Testing

@testable import MeshPeer

/// `owner-verified` ends with the certificate it rests on (decision 0100): at its expiry, or when a revocation of it
/// is learnt later. The clock is a parameter.
@Suite struct TrustTierCurrentTests {
    let owner: Ed25519.PrivateKey = {
        var random = SeededRandom(seed: 1_101)
        return Ed25519.PrivateKey(using: &random)
    }()
    let contact = Agent(seed: 1_102)

    var certificate: OwnerCertificate {
        OwnerCertificate.issue(
            owner: owner,
            agent: contact.key,
            serial: 7,
            issuedAt: epoch,
            expiresAt: epoch + .seconds(3_600)
        )
    }

    func tier(
        _ stored: TrustTier = .ownerVerified,
        certificate: OwnerCertificate?,
        messaged: Bool = true,
        revocations: [OwnerRevocation] = [],
        at instant: Timestamp
    ) -> TrustTier {
        TrustTier.current(
            stored: stored,
            certificate: certificate,
            hasMessaged: messaged,
            revocations: revocations,
            now: instant
        )
    }

    @Test func ownerVerifiedLastsUntilTheCertificateExpires() {
        #expect(tier(certificate: certificate, at: epoch + .seconds(3_599)) == .ownerVerified)
        #expect(tier(certificate: certificate, at: epoch + .seconds(3_600)) == .contact)
        #expect(tier(certificate: certificate, messaged: false, at: epoch + .seconds(3_600)) == .knockedAccepted)
    }

    @Test func aRevocationLearntLaterEndsIt() {
        let revocation = OwnerRevocation.issue(owner: owner, agent: contact.key, serial: 7, revokedAt: epoch)
        #expect(tier(certificate: certificate, revocations: [revocation], at: epoch + .seconds(10)) == .contact)
        // Another serial, or a revocation not signed by the owner, does not.
        let otherSerial = OwnerRevocation.issue(owner: owner, agent: contact.key, serial: 8, revokedAt: epoch)
        var stranger = SeededRandom(seed: 1_103)
        let forged = OwnerRevocation.issue(
            owner: Ed25519.PrivateKey(using: &stranger),
            agent: contact.key,
            serial: 7,
            revokedAt: epoch
        )
        #expect(tier(certificate: certificate, revocations: [otherSerial, forged], at: epoch) == .ownerVerified)
    }

    @Test func withoutItsCertificateOwnerVerifiedFallsBackAndOtherTiersStay() {
        #expect(tier(certificate: nil, at: epoch) == .contact)
        for stored in [TrustTier.unknown, .knockedAccepted, .contact] {
            #expect(tier(stored, certificate: certificate, at: epoch + .seconds(99_999)) == stored)
        }
    }
}
