import Foundation
import MeshCore
import MeshPeer
import Testing

@testable import MeshNode

/// A message from a contact no longer looks up our pending knock on it (issue 11); the knock's answer still does,
/// even when the answering agent is already a contact.
@Suite struct KnockAnswerToContactTests {
    let start = Timestamp(secondsSinceEpoch: 1_800_000_000)

    @Test func answerFromAContactStillSettlesOurKnock() throws {
        let alice = try LedgerParty("alice", seed: 11)
        let bob = try LedgerParty("bob", seed: 12)
        // Alice knocks and already lists Bob as a contact (as after an earlier conversation).
        try alice.knockAndPretendContact(bob, now: start)
        let knockEntry = try #require(try alice.outgoing(now: start).first { $0.kind == .knock })
        guard case .knock(.stored(let received, _)) = try bob.deliver(knockEntry, now: start) else {
            throw TestFailure("the knock was not stored")
        }
        #expect(received.state == .accepted)
        let decision = try #require(try bob.outgoing(now: start).first { $0.kind == .decision })
        guard case .session(.decision(let answered)) = try alice.deliver(decision, now: start) else {
            throw TestFailure("the answer did not settle the knock")
        }
        #expect(answered.state == .accepted)
        let knocks = try alice.database.pool.read { db in try KnockStore.recent(limit: 10, db) }
        #expect(knocks.map(\.state) == [.accepted])
        // The knock itself needs no more resends.
        let knockState = try alice.database.pool.read { db in try OutboxStore.entry(id: knockEntry.id, db) }
        #expect(knockState?.state == .delivered)
    }
}
