import Foundation
import GRDB
import MeshCore
import MeshPeer
import Testing

@testable import MeshNode

/// The node's transactions, driven by hand between two parties with explicit instants: what each delivery
/// stores, what it queues, and what it shows the agent.
@Suite struct LedgerTests {
    let start = Timestamp(secondsSinceEpoch: 1_800_000_000)

    /// Alice knocks, Bob's policy accepts, both become contacts; a message goes over and its receipt comes back.
    func pair() throws -> (LedgerParty, LedgerParty) {
        let alice = try LedgerParty("alice", seed: 1)
        let bob = try LedgerParty("bob", seed: 2)
        let target = try bob.target(now: start)
        let start = self.start
        let knock = try alice.write { db in
            try alice.ledger.knock(
                KnockRequest(to: bob.did, intent: "chat.message", purpose: "hello"),
                target: target,
                ownRelays: alice.relays,
                ownName: "Alice",
                now: start,
                db
            )
        }
        #expect(knock.state == .pending)
        let knockEntry = try #require(try alice.outgoing(now: start).first)
        #expect(knockEntry.kind == .knock)
        guard case .knock(.stored(let received, let evicted)) = try bob.deliver(knockEntry, now: start) else {
            throw TestFailure("the knock was not stored")
        }
        #expect(received.state == .accepted)
        #expect(received.purpose == "hello")
        #expect(evicted.isEmpty)
        #expect(try bob.contact(alice.did)?.homes == alice.relays)
        // Bob owes a decision and a receipt for the knock.
        let answers = try bob.outgoing(now: start)
        #expect(answers.map(\.kind) == [.decision, .receipt])
        for answer in answers { _ = try alice.deliver(answer, now: start) }
        #expect(try alice.contact(bob.did)?.homes == bob.relays)
        let knocks = try alice.database.pool.read { db in try KnockStore.recent(limit: 10, db) }
        #expect(knocks.map(\.state) == [.accepted])
        return (alice, bob)
    }

    func send(
        _ text: String,
        from sender: LedgerParty,
        to recipient: LedgerParty,
        at now: Timestamp
    ) throws
        -> OutboxEntry
    {
        let body = Array(try JSONEncoder().encode(JSONValue.object(["text": .string(text)])))
        return try sender.write { db in
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
    }

    @Test func messageAndReceipt() throws {
        let (alice, bob) = try pair()
        let later = start + .seconds(1)
        let sent = try send("hi", from: alice, to: bob, at: later)
        guard case .session(.messages(let shown)) = try bob.deliver(sent, now: later) else {
            throw TestFailure("the message was not shown")
        }
        #expect(shown.map(\.id) == [sent.id.hex])
        #expect(shown.map(\.cursor) == [1])
        #expect(shown.first?.body == .object(["text": .string("hi")]))
        let receipt = try #require(try bob.outgoing(now: later).last)
        #expect(receipt.kind == .receipt)
        guard case .session(.receipts(let settled)) = try alice.deliver(receipt, now: later) else {
            throw TestFailure("the receipt did not settle the message")
        }
        #expect(settled.map(\.id) == [sent.id])
        let state = try alice.database.pool.read { db in try OutboxStore.entry(id: sent.id, db) }
        #expect(state?.state == .delivered)
    }

    /// The same envelope delivered twice (two relays, or a relay that redelivers after a crash) reaches the agent
    /// once; the second delivery only earns another receipt.
    @Test func duplicateDeliveryIsShownOnce() throws {
        let (alice, bob) = try pair()
        let later = start + .seconds(1)
        let sent = try send("once", from: alice, to: bob, at: later)
        _ = try bob.deliver(sent, now: later)
        let receiptsBefore = try bob.outgoing(now: later).filter { $0.kind == .receipt }.count
        guard case .session(.duplicate) = try bob.deliver(sent, now: later) else {
            throw TestFailure("a second delivery was not recognised")
        }
        #expect(try bob.inbox().count == 1)
        #expect(try bob.outgoing(now: later).filter { $0.kind == .receipt }.count == receiptsBefore + 1)
    }

    /// Messages arriving out of order are shown in the order they were sent, with growing cursors.
    @Test func conversationOrder() throws {
        let (alice, bob) = try pair()
        let later = start + .seconds(1)
        let first = try send("1", from: alice, to: bob, at: later)
        let second = try send("2", from: alice, to: bob, at: later)
        let third = try send("3", from: alice, to: bob, at: later)
        guard case .session(.messages(let afterThird)) = try bob.deliver(third, now: later) else {
            throw TestFailure("the third message was refused")
        }
        #expect(afterThird.isEmpty, "the third waits for the first two")
        guard case .session(.messages(let afterFirst)) = try bob.deliver(first, now: later) else {
            throw TestFailure("the first message was refused")
        }
        #expect(afterFirst.map(\.id) == [first.id.hex])
        guard case .session(.messages(let afterSecond)) = try bob.deliver(second, now: later) else {
            throw TestFailure("the second message was refused")
        }
        #expect(afterSecond.map(\.id) == [second.id.hex, third.id.hex])
        #expect(try bob.inbox().map(\.cursor) == [1, 2, 3])
    }

    /// A gap that never fills (a message that expired at its sender) holds later messages only for the gap timeout.
    @Test func gapTimesOut() throws {
        let (alice, bob) = try pair()
        let later = start + .seconds(1)
        _ = try send("lost", from: alice, to: bob, at: later)
        let second = try send("2", from: alice, to: bob, at: later)
        _ = try bob.deliver(second, now: later)
        let early = try bob.write { db in
            try InboxStore.releaseStale(now: later + InboxStore.gapTimeout - .seconds(1), db)
        }
        #expect(early.isEmpty)
        let released = try bob.write { db in
            try InboxStore.releaseStale(now: later + InboxStore.gapTimeout + .seconds(1), db)
        }
        #expect(released.map(\.id) == [second.id.hex])
    }

    /// Until a knock is accepted nothing else from its sender reaches the agent: a held knock's sender that sends
    /// a message anyway has it dropped unread.
    @Test func nothingBeforeAcceptance() throws {
        let mallory = try LedgerParty("mallory", seed: 3)
        let bob = try LedgerParty("bob", seed: 4)
        let target = try bob.target(now: start)
        let start = self.start
        try mallory.write { db in
            _ = try mallory.ledger.knock(
                KnockRequest(to: bob.did, intent: "chat.message", purpose: "let me in"),
                target: target,
                ownRelays: mallory.relays,
                ownName: nil,
                now: start,
                db
            )
            // Mallory pretends Bob is already a contact and sends a message anyway.
            try ContactStore.upsert(
                did: bob.did,
                key: bob.identity.publicKey,
                name: nil,
                homes: bob.relays,
                now: start,
                db
            )
        }
        let knockEntry = try #require(try mallory.outgoing(now: start).first)
        guard case .knock(.stored(let held, _)) = try bob.deliver(knockEntry, policy: KnockPolicy(), now: start) else {
            throw TestFailure("the knock was not held")
        }
        #expect(held.state == .held)
        let pushy = try send("are you there?", from: mallory, to: bob, at: start)
        guard case .session(.notAccepted) = try bob.deliver(pushy, now: start) else {
            throw TestFailure("a message before acceptance was not refused")
        }
        #expect(try bob.inbox().isEmpty)
    }

    /// Held knocks are bounded (two here): a third sender's knock evicts the oldest, which is rejected silently.
    @Test func heldKnocksAreBounded() throws {
        let bob = try LedgerParty("bob", seed: 5)
        let target = try bob.target(now: start)
        var ids: [String] = []
        for seed in UInt64(10)..<13 {
            let sender = try LedgerParty("sender\(seed)", seed: seed)
            let at = start + .seconds(Int64(seed))
            let start = self.start
            _ = try sender.write { db in
                try sender.ledger.knock(
                    KnockRequest(to: bob.did, intent: "task.request", purpose: "work"),
                    target: target,
                    ownRelays: sender.relays,
                    ownName: nil,
                    now: start,
                    db
                )
            }
            let entry = try #require(try sender.outgoing(now: start).first)
            guard case .knock(.stored(let knock, let evicted)) = try bob.deliver(entry, policy: KnockPolicy(), now: at)
            else { throw TestFailure("knock \(seed) was not stored") }
            ids.append(knock.id)
            #expect(evicted == (seed == 12 ? [ids[0]] : []))
        }
        let held = try bob.database.pool.read { db in try KnockStore.held(db) }
        #expect(held.map(\.id) == Array(ids.dropFirst()))
    }

    /// Housekeeping forgets a delivered entry after a week, never one still waiting for its receipt.
    @Test func settledEntriesAreForgottenPendingOnesKept() throws {
        let (alice, bob) = try pair()
        let later = start + .seconds(1)
        let delivered = try send("done", from: alice, to: bob, at: later)
        let pending = try send("waiting", from: alice, to: bob, at: later)
        try alice.write { db in _ = try OutboxStore.markDelivered(id: delivered.id, from: bob.did, now: later, db) }
        let weekLater = later + OutboxStore.settledMemory + .seconds(1)
        try alice.write { db in try OutboxStore.forgetSettled(before: weekLater - OutboxStore.settledMemory, db) }
        let remaining = try alice.database.pool.read { db in
            (try OutboxStore.entry(id: delivered.id, db), try OutboxStore.entry(id: pending.id, db))
        }
        #expect(remaining.0 == nil)
        #expect(remaining.1?.state == .queued)
    }
}
