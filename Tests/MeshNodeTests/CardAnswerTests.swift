import Foundation
import GRDB
import MeshCore
import MeshPeer
import Testing

@testable import MeshNode

/// A `capability.query` answer carries the peer's full card; the asking node shows it to its agent only when the
/// card's A2A signature verifies under the peer's DID (decision 0080). Two ledgers on real SQLite files, envelopes
/// moved by hand.
@Suite struct CardAnswerTests {
    let start = Timestamp(secondsSinceEpoch: 1_800_000_000)

    /// Alice and Bob become contacts (Alice knocks, Bob accepts).
    func pair() throws -> (LedgerParty, LedgerParty) {
        let alice = try LedgerParty("alice", seed: 11)
        let bob = try LedgerParty("bob", seed: 12)
        _ = try bob.deliver(try alice.knock(on: bob, now: start), now: start)
        for entry in try bob.outgoing(now: start) { _ = try alice.deliver(entry, now: start) }
        #expect(try alice.contact(bob.did) != nil)
        return (alice, bob)
    }

    /// Alice asks Bob for his card; Bob answers with `served`; returns what Alice's ledger makes of the answer.
    func ask(served: JSONValue) throws -> SessionOutcome {
        let (alice, bob) = try pair()
        let now = start + .seconds(1)
        let query = try alice.write { db in
            let contact = try #require(try ContactStore.contact(did: bob.did, db))
            return try alice.ledger.send(
                intent: Intent.capabilityQuery,
                body: Array("{}".utf8),
                inReplyTo: nil,
                expiresAt: now + .seconds(600),
                to: contact,
                now: now,
                db
            )
        }
        guard case .session(let frame) = try MeshEnvelope.decode(query.payload) else {
            throw TestFailure("the query is not a session envelope")
        }
        let outcome = try bob.write { db in
            try bob.ledger.receiveSession(frame, id: query.id, servedCard: served, now: now, db)
        }
        guard case .answeredQuery(_, let reply) = outcome else { throw TestFailure("Bob did not answer: \(outcome)") }
        guard case .session(let answer) = try alice.deliver(reply, now: now) else {
            throw TestFailure("the answer is not a session delivery")
        }
        return answer
    }

    func card(signedBy identity: AgentIdentity) throws -> JSONValue {
        let card = AgentCard.defaultCard(name: "bob", did: identity.did)
        return try AgentCardSignature.sign(
            card: try StrictJSON.parse(card.jsonBytes(), maximumBytes: 1 << 16),
            identity: identity
        )
    }

    @Test func aSignedAnswerReachesTheAgent() throws {
        let bob = try LedgerParty("bob", seed: 12)
        let outcome = try ask(served: try card(signedBy: bob.identity))
        guard case .messages(let shown) = outcome else { throw TestFailure("refused: \(outcome)") }
        #expect(shown.map(\.intent) == [Intent.taskResponse])
    }

    @Test func anAnswerWithAnotherAgentsCardIsRefusedWithTheReason() throws {
        let mallory = try LedgerParty("mallory", seed: 13)
        let outcome = try ask(served: try card(signedBy: mallory.identity))
        guard case .invalidMessage(let reason) = outcome else { throw TestFailure("not refused: \(outcome)") }
        #expect(reason.contains("kid-names-another-did"))
    }

    @Test func anUnsignedAnswerIsRefusedWithTheReason() throws {
        let unsigned = try StrictJSON.parse(
            AgentCard.defaultCard(name: "bob", did: "x").jsonBytes(),
            maximumBytes: 4096
        )
        let outcome = try ask(served: unsigned)
        guard case .invalidMessage(let reason) = outcome else { throw TestFailure("not refused: \(outcome)") }
        #expect(reason.contains("missing-signature"))
    }
}
