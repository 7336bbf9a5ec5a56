import Foundation
import GRDB
import MeshCore
import MeshPeer
import Testing

@testable import MeshNode

/// `owner-verified` ends with its certificate (decision 0100), through the node's real transactions and SQLite file:
/// the accepted knock keeps the certificate with the contact, and the tier read back is as of the instant given.
@Suite struct ContactTierExpiryTests {
    let start = Timestamp(secondsSinceEpoch: 1_800_000_000)
    let owner: Ed25519.PrivateKey = {
        var random = SeededRandom(seed: 1_201)
        return Ed25519.PrivateKey(using: &random)
    }()

    /// Alice knocks on Bob with a certificate valid for an hour; Bob's policy names the owner and accepts.
    func meet() throws -> (alice: LedgerParty, bob: LedgerParty, certificate: OwnerCertificate) {
        let alice = try LedgerParty("alice", seed: 11)
        let bob = try LedgerParty("bob", seed: 12)
        let certificate = OwnerCertificate.issue(
            owner: owner,
            agent: alice.identity.publicKey,
            serial: 5,
            issuedAt: start,
            expiresAt: start + .seconds(3_600)
        )
        let knock = try alice.knock(on: bob, credentials: OwnerCredentials(certificate: certificate), now: start)
        let policy = KnockPolicy(default: .accept, owners: [owner.publicKey.did])
        guard case .knock(.stored(let received, _)) = try bob.deliver(knock, policy: policy, now: start) else {
            throw TestFailure("the knock was not stored")
        }
        #expect(received.state == .accepted)
        return (alice, bob, certificate)
    }

    func tier(_ contact: Contact, revocations: [OwnerRevocation] = [], at instant: Timestamp) -> TrustTier {
        TrustTier.current(
            stored: contact.tier,
            certificate: contact.ownerCertificate,
            hasMessaged: contact.lastMessageAt != nil,
            revocations: revocations,
            now: instant
        )
    }

    @Test func theContactKeepsItsCertificateAndLosesTheTierWhenItExpires() throws {
        let (alice, bob, certificate) = try meet()
        let contact = try #require(try bob.contact(alice.did))
        #expect(contact.tier == .ownerVerified)
        #expect(contact.ownerCertificate == certificate)
        #expect(tier(contact, at: start + .seconds(3_599)) == .ownerVerified)
        #expect(tier(contact, at: start + .seconds(3_600)) == .knockedAccepted)
    }

    @Test func aRevocationLearntAfterTheKnockEndsTheTier() throws {
        let (alice, bob, _) = try meet()
        let contact = try #require(try bob.contact(alice.did))
        let later = OwnerRevocation.issue(
            owner: owner,
            agent: alice.identity.publicKey,
            serial: 5,
            revokedAt: start + .seconds(60)
        )
        #expect(tier(contact, at: start + .seconds(61)) == .ownerVerified)
        #expect(tier(contact, revocations: [later], at: start + .seconds(61)) == .knockedAccepted)
    }

    @Test func aContactAcceptedWithoutACertificateKeepsNone() throws {
        let alice = try LedgerParty("alice", seed: 13)
        let bob = try LedgerParty("bob", seed: 14)
        let knock = try alice.knock(on: bob, now: start)
        _ = try bob.deliver(knock, policy: KnockPolicy(default: .accept), now: start)
        let contact = try #require(try bob.contact(alice.did))
        #expect(contact.ownerCertificate == nil)
        #expect(tier(contact, at: start + .seconds(99_999)) == .knockedAccepted)
    }
}
