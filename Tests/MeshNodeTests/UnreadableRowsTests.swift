import Foundation
import GRDB
import MeshCore
import MeshPeer
import Testing

@testable import MeshNode

/// A row a store cannot read back is skipped or treated as absent, as before, and now counted (and logged), so that
/// a message held in an unreadable outbox row shows on `/metrics` instead of waiting unseen. Real node databases;
/// the rows are damaged with SQL, as a disk error or a newer version's write would leave them.
@Suite struct UnreadableRowsTests {
    let ledger = LedgerTests()

    @Test func anOutboxRowWithAKindThisVersionDoesNotKnowIsSkippedAndCounted() throws {
        let (alice, bob) = try ledger.pair()
        let now = ledger.start + .seconds(1)
        let kept = try ledger.send("kept", from: alice, to: bob, at: now)
        let damaged = try ledger.send("damaged", from: alice, to: bob, at: now)
        #expect(try alice.outgoing(now: now).map(\.id).contains(damaged.id))
        try alice.write { db in
            try db.execute(
                sql: "UPDATE node_outbox SET kind = 'from-a-newer-version' WHERE id = ?",
                arguments: [Data(damaged.id.bytes)]
            )
        }
        let before = UnreadableRows.count(table: "node_outbox")
        let due = try alice.outgoing(now: now)
        #expect(due.map(\.id).contains(kept.id), "the readable entry is still sent")
        #expect(!due.map(\.id).contains(damaged.id))
        #expect(try alice.write { db in try OutboxStore.entry(id: damaged.id, db) } == nil)
        // Other tests run in parallel but damage no outbox row, so the count grew by this test's two reads at least.
        #expect(UnreadableRows.count(table: "node_outbox") >= before + 2)
    }

    @Test func aContactWhoseKeyNoLongerParsesIsAbsentAndCounted() throws {
        let (alice, bob) = try ledger.pair()
        #expect(try alice.contact(bob.did) != nil)
        try alice.write { db in
            try db.execute(
                sql: "UPDATE node_contacts SET public_key = x'0102' WHERE did = ?",
                arguments: [bob.did]
            )
        }
        let before = UnreadableRows.count(table: "node_contacts")
        #expect(try alice.contact(bob.did) == nil)
        #expect(UnreadableRows.count(table: "node_contacts") >= before + 1)
    }

    /// A contact's home-relay list that is not a JSON list made the contact look like one with no relays, so every
    /// message to it waited for ever unseen; now the row is unreadable, absent and counted, like any other.
    @Test func aContactWhoseHomesNoLongerParseIsAbsentAndCounted() throws {
        let (alice, bob) = try ledger.pair()
        #expect(try alice.contact(bob.did)?.homes.isEmpty == false)
        try alice.write { db in
            try db.execute(sql: "UPDATE node_contacts SET homes = 'not a list' WHERE did = ?", arguments: [bob.did])
        }
        let before = UnreadableRows.count(table: "node_contacts")
        #expect(try alice.contact(bob.did) == nil)
        #expect(UnreadableRows.count(table: "node_contacts") >= before + 1)
    }
}
