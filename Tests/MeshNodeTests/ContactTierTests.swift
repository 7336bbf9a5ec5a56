import Foundation
import GRDB
import MeshCore
import MeshPeer
import Testing

@testable import MeshNode

/// Contacts' trust tiers through the node's transactions (decision 0093): an accepted knock makes a
/// `knocked-accepted` contact, the first message makes it a `contact`, and a knock whose owner certificate verified
/// makes it `owner-verified`, which a message does not lower.
@Suite struct ContactTierTests {
    let start = Timestamp(secondsSinceEpoch: 1_800_000_000)
    let owner: Ed25519.PrivateKey = {
        var random = SeededRandom(seed: 960)
        return Ed25519.PrivateKey(using: &random)
    }()

    func meet(certified: Bool) throws -> (LedgerParty, LedgerParty) {
        let alice = try LedgerParty("alice", seed: 1)
        let bob = try LedgerParty("bob", seed: 2)
        let start = self.start
        let credentials =
            certified
            ? OwnerCredentials(
                certificate: OwnerCertificate.issue(
                    owner: owner,
                    agent: alice.identity.publicKey,
                    serial: 1,
                    issuedAt: start,
                    expiresAt: start + .seconds(3_600)
                )
            ) : nil
        let knock = try alice.knock(on: bob, credentials: credentials, now: start)
        let policy = KnockPolicy(default: .accept, owners: [owner.publicKey.did])
        guard case .knock(.stored(let received, _)) = try bob.deliver(knock, policy: policy, now: start) else {
            throw TestFailure("the knock was not stored")
        }
        #expect(received.state == .accepted)
        for answer in try bob.outgoing(now: start) { _ = try alice.deliver(answer, now: start) }
        return (alice, bob)
    }

    func message(from sender: LedgerParty, to recipient: LedgerParty, at now: Timestamp) throws {
        let body = Array(try JSONEncoder().encode(JSONValue.object(["text": .string("hi")])))
        let entry = try sender.write { db in
            let contact = try #require(try ContactStore.contact(did: recipient.did, db))
            return try sender.ledger.send(
                intent: "chat.message",
                body: body,
                inReplyTo: nil,
                expiresAt: now + .seconds(600),
                to: contact,
                now: now,
                db
            )
        }
        _ = try recipient.deliver(entry, now: now)
    }

    @Test func anAcceptedKnockIsKnockedAcceptedUntilTheFirstMessage() throws {
        let (alice, bob) = try meet(certified: false)
        #expect(try bob.contact(alice.did)?.tier == .knockedAccepted)
        #expect(try alice.contact(bob.did)?.tier == .contact)
        try message(from: alice, to: bob, at: start + .seconds(1))
        #expect(try bob.contact(alice.did)?.tier == .contact)
    }

    @Test func aVerifiedCertificateMakesAnOwnerVerifiedContactThatStaysSo() throws {
        let (alice, bob) = try meet(certified: true)
        #expect(try bob.contact(alice.did)?.tier == .ownerVerified)
        try message(from: alice, to: bob, at: start + .seconds(1))
        #expect(try bob.contact(alice.did)?.tier == .ownerVerified)
        let audit = try bob.database.pool.read { db in try AuditStore.page(after: 0, limit: 50, db) }
        let received = try #require(audit.first { $0.record.kind == .knockReceived })
        #expect(received.record.detail["certificate"] == "verified by \(owner.publicKey.did)")
        #expect(received.record.detail["tier"] == "owner-verified")
    }
}
