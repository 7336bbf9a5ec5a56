import Foundation
import GRDB
import MeshCore
import MeshPeer
import RelayFallback
import Testing

@testable import MeshNode

/// A run of relay acceptances settles in one transaction (issue 11): every message it names moves to `relayed`
/// with its receipt clock, a receipt it names is forgotten, and an answer about an attempt the entry no longer
/// uses changes nothing.
@Suite struct RelayAcceptanceBatchTests {
    /// Counts the commits made on a database.
    final class CommitCounter: TransactionObserver, @unchecked Sendable {
        // Sendable: GRDB calls the observer only on the writer's serial queue, and the test reads `commits` after
        // the write returned (GRDB's write is a happens-before edge).
        var commits = 0
        func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { true }
        func databaseDidChange(with event: DatabaseEvent) {}
        func databaseDidCommit(_ db: Database) { commits += 1 }
        func databaseDidRollback(_ db: Database) {}
    }

    @Test func oneTransactionForARunOfAnswers() throws {
        let ledger = LedgerTests()
        let (alice, bob) = try ledger.pair()
        let now = ledger.start + .seconds(1)
        // Bob sends Alice one message, so Alice owes a receipt (an entry that is forgotten once a relay takes it).
        let fromBob = try ledger.send("hello", from: bob, to: alice, at: now)
        _ = try alice.deliver(fromBob, now: now)
        let sent = try (0..<5).map { try ledger.send("message \($0)", from: alice, to: bob, at: now) }
        let due = try alice.outgoing(now: now)
        let receipt = try #require(due.first { $0.kind == .receipt })
        #expect(Set(due.filter { $0.kind == .message }.map(\.id)) == Set(sent.map(\.id)))
        // What the outbox does before sending: claim each entry under its first attempt's envelope ID.
        try alice.write { db in
            for entry in due {
                try OutboxStore.claim(
                    id: entry.id,
                    variant: 0,
                    next: now + .seconds(1),
                    now: now,
                    db
                )
            }
        }
        let stale = sent[0].id.envelopeID(variant: 7)
        let answers = due.map { $0.id.envelopeID(variant: 0) } + [stale]
        let counter = CommitCounter()
        alice.database.pool.add(transactionObserver: counter)
        let later = now + .seconds(2)
        let settled = try alice.write { db in try AgentNode.settleAcceptances(answers, now: later, db) }
        #expect(counter.commits == 1)
        #expect(settled == due.count)
        try alice.database.pool.read { db in
            for message in sent {
                let entry = try #require(try OutboxStore.entry(id: message.id, db))
                #expect(entry.state == .relayed)
                #expect(entry.nextAttemptAt == later + AgentNode.retryDelay(attempts: 0, relayed: true))
            }
            for entry in due where entry.kind == .receipt { #expect(try OutboxStore.entry(id: entry.id, db) == nil) }
            #expect(receipt.kind == .receipt)
        }
        // The same answers again (a relay's `duplicate`): nothing moves back or twice.
        let again = try alice.write { db in try AgentNode.settleAcceptances(answers, now: later + .seconds(5), db) }
        #expect(again == due.filter { $0.kind == .message }.count)
        try alice.database.pool.read { db in
            let entry = try #require(try OutboxStore.entry(id: sent[1].id, db))
            #expect(entry.nextAttemptAt == later + AgentNode.retryDelay(attempts: 0, relayed: true))
        }
    }
}
