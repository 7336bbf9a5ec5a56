import Foundation
import GRDB
import MeshCore
import MeshPeer
import Testing

@testable import MeshNode

/// The audit log in a real node.sqlite: what the ledger's transactions record, tampering with the rows by SQL (as
/// anyone with the file could), and trimming with a signed checkpoint.
@Suite struct AuditStoreTests {
    let start = Timestamp(secondsSinceEpoch: 1_800_000_000)

    func filled(_ count: Int) throws -> LedgerParty {
        let party = try LedgerParty("audit", seed: 21)
        try append(count, to: party)
        return party
    }

    /// `count` sent-message entries, a second apart from `start`.
    func append(_ count: Int, to party: LedgerParty) throws {
        let node = party.identity.publicKey
        let start = self.start
        try party.write { db in
            for index in 0..<count {
                try AuditStore.append(
                    AuditEntry.Record(
                        kind: .messageSent,
                        peer: "did:key:z6Mk\(index)",
                        intent: "chat.message",
                        size: index
                    ),
                    node: node,
                    now: start + .seconds(Int64(index)),
                    db
                )
            }
        }
    }

    func verify(_ party: LedgerParty) throws -> AuditVerifier.Report {
        let node = party.identity.publicKey
        return try party.database.pool.read { db in try AuditStore.verify(node: node, db).0 }
    }

    @Test func theLedgerRecordsKnocksAndMessagesInTheirTransactions() throws {
        let (alice, bob) = try LedgerTests().pair()
        let later = start + .seconds(1)
        let body = Array(try JSONEncoder().encode(JSONValue.object(["text": .string("hi")])))
        let send = PendingSend(
            to: bob.did,
            intent: "chat.message",
            body: body,
            inReplyTo: nil,
            expiresAt: later + .seconds(60)
        )
        let entry = try alice.write { db in try AgentNode.store(send, ledger: alice.ledger, now: later, db) }
        _ = try bob.deliver(entry, now: later)
        let aliceLog = try alice.database.pool.read { db in try AuditStore.page(after: 0, limit: 100, db) }
        let bobLog = try bob.database.pool.read { db in try AuditStore.page(after: 0, limit: 100, db) }
        #expect(aliceLog.map(\.record.kind) == [.knockSent, .knockAnswered, .messageSent])
        #expect(bobLog.map(\.record.kind) == [.knockReceived, .messageReceived])
        #expect(bobLog[0].record.detail["state"] == "accepted")
        #expect(bobLog[0].record.detail["purpose"] == "hello")
        let received = bobLog[1].record
        #expect(received.peer == alice.did && received.intent == "chat.message" && received.size == body.count)
        #expect(received.path == "relay")
        #expect(received.detail["body"] == nil, "bodies only when the owner opts in")
        #expect(try verify(alice).ok && verify(bob).ok)
    }

    @Test func bodiesAreRecordedOnlyWhenTheOwnerOptsIn() throws {
        let (alice, bob) = try LedgerTests().pair()
        try bob.write { db in try AuditStore.setRecordsBodies(true, db) }
        let later = start + .seconds(1)
        let body = Array(try JSONEncoder().encode(JSONValue.object(["text": .string("secret plan")])))
        let send = PendingSend(
            to: bob.did,
            intent: "chat.message",
            body: body,
            inReplyTo: nil,
            expiresAt: later + .seconds(60)
        )
        let entry = try alice.write { db in try AgentNode.store(send, ledger: alice.ledger, now: later, db) }
        _ = try bob.deliver(entry, now: later)
        let bobLog = try bob.database.pool.read { db in try AuditStore.page(after: 0, limit: 100, db) }
        #expect(bobLog.last?.record.detail["body"] == String(decoding: body, as: UTF8.self))
        let aliceLog = try alice.database.pool.read { db in try AuditStore.page(after: 0, limit: 100, db) }
        #expect(aliceLog.last?.record.detail["body"] == nil)
    }

    @Test func aSendThatFailsLeavesNoAuditRow() throws {
        let party = try LedgerParty("lonely", seed: 3)
        let send = PendingSend(
            to: "did:key:z6Mknobody",
            intent: "chat.message",
            body: [],
            inReplyTo: nil,
            expiresAt: start
        )
        #expect(throws: NodeAPIError.self) {
            try party.write { db in try AgentNode.store(send, ledger: party.ledger, now: start, db) }
        }
        #expect(try party.database.pool.read { db in try AuditStore.count(db) } == 0)
    }

    @Test func everyKindOfTamperingWithARowIsNamed() throws {
        let cases: [(String, String, UInt64, String)] = [
            (
                "edit", "UPDATE node_audit SET peer = 'did:key:z6Mkforged' WHERE seq = 4", 4,
                "entry 4 was edited: its contents do not match its hash"
            ),
            (
                "edit detail", "UPDATE node_audit SET detail = '{\"body\":\"x\"}' WHERE seq = 2", 2,
                "entry 2 was edited: its contents do not match its hash"
            ),
            (
                "unreadable detail", "UPDATE node_audit SET detail = 'not json' WHERE seq = 2", 2,
                "entry 2 was edited: its contents do not match its hash"
            ),
            (
                "edit hash", "UPDATE node_audit SET hash = zeroblob(32) WHERE seq = 5", 5,
                "entry 5 was edited: its contents do not match its hash"
            ),
            ("delete", "DELETE FROM node_audit WHERE seq = 3", 3, "entry 3 is missing (deleted)"),
            (
                "truncate head", "DELETE FROM node_audit WHERE seq <= 2", 1,
                "entries 1 to 2 are missing: the head was cut without a signed checkpoint"
            ),
            (
                "reorder",
                "UPDATE node_audit SET seq = -3 WHERE seq = 3; UPDATE node_audit SET seq = 3 WHERE seq = 4; UPDATE node_audit SET seq = 4 WHERE seq = -3",
                3, "entry 3 was moved: it follows entry 4 in the chain"
            ),
        ]
        for (name, sql, bad, reason) in cases {
            let party = try filled(8)
            #expect(try verify(party).ok)
            try party.write { db in try db.execute(sql: sql) }
            let report = try verify(party)
            #expect(!report.ok, "\(name)")
            #expect(report.firstBadSequence == bad, "\(name)")
            #expect(report.reason == reason, "\(name)")
        }
    }

    /// A checkpoint that cannot be read stops a trim with an error; it used to be read as "no checkpoint", so the
    /// trim went on and signed a new checkpoint whose running total restarted at zero.
    @Test func anUnreadableCheckpointStopsTheTrim() throws {
        let party = try filled(30)
        let retention = AuditRetention(maximumEntries: 10, maximumAge: .seconds(3_600))
        let identity = party.identity
        #expect(try party.write { db in try AuditStore.trim(retention, identity: identity, now: start, db) } == 20)
        try party.write { db in try NodeMetaStore.set(AuditStore.checkpointKey, [0x01, 0x02], db) }
        try append(20, to: party)
        #expect(throws: (any Error).self) {
            try party.write { db in try AuditStore.trim(retention, identity: identity, now: start, db) }
        }
        let stored = try party.database.pool.read { db in try NodeMetaStore.get(AuditStore.checkpointKey, db) }
        #expect(stored == [0x01, 0x02], "the trim changed nothing")
    }

    @Test func trimmingKeepsTheChainVerifiableAndAForgedCheckpointIsFound() throws {
        let party = try filled(30)
        let retention = AuditRetention(maximumEntries: 10, maximumAge: .seconds(3_600))
        let identity = party.identity
        let now = start + .seconds(100)
        let trimmed = try party.write { db in try AuditStore.trim(retention, identity: identity, now: now, db) }
        #expect(trimmed == 20)
        let kept = try party.database.pool.read { db in try AuditStore.page(after: 0, limit: 100, db) }
        #expect(kept.first?.sequence == 21)
        #expect(kept.last?.record.kind == .auditTrimmed)
        #expect(kept.last?.record.detail == ["through": "20", "trimmed": "20"])
        let report = try verify(party)
        #expect(report.ok && report.entries == 11)
        // Old entries go by age too.
        let aged = try party.write { db in
            try AuditStore.trim(retention, identity: identity, now: now + .seconds(3_600 + 40), db)
        }
        #expect(aged == 10, "every entry but the newest (the first trim's own entry) is past the age limit")
        #expect(try verify(party).ok)
        // Cutting past the checkpoint is found; so is a checkpoint signed by another key.
        try party.write { db in
            try db.execute(sql: "DELETE FROM node_audit WHERE seq = (SELECT MIN(seq) FROM node_audit)")
        }
        #expect(try verify(party).reason?.contains("missing") == true)
        let other = try filled(3)
        var random = SeededRandom(seed: 77)
        let stranger = AgentIdentity.generate(using: &random)
        try other.write { db in
            let head = try AuditStore.page(after: 0, limit: 1, db)[0]
            try db.execute(sql: "DELETE FROM node_audit WHERE seq = 1")
            let forged = AuditCheckpoint.signed(sequence: 1, hash: head.hash, at: now, trimmedTotal: 1, by: stranger)
            try NodeMetaStore.set(AuditStore.checkpointKey, forged.encoded(), db)
        }
        let forged = try verify(other)
        #expect(forged.reason == "the checkpoint is not signed by this node (forged or edited)")
        // An unreadable checkpoint is reported, not a crash.
        try other.write { db in try NodeMetaStore.set(AuditStore.checkpointKey, [1, 2, 3], db) }
        #expect(try verify(other).reason?.hasPrefix("the checkpoint is unreadable") == true)
    }

    @Test func appendsContinueFromTheCheckpointWhenEverythingWasTrimmed() throws {
        let party = try filled(2)
        let identity = party.identity
        try party.write { db in
            let head = try AuditStore.page(after: 0, limit: 10, db)[1]
            try db.execute(sql: "DELETE FROM node_audit")
            let checkpoint = AuditCheckpoint.signed(
                sequence: 2,
                hash: head.hash,
                at: start,
                trimmedTotal: 2,
                by: identity
            )
            try NodeMetaStore.set(AuditStore.checkpointKey, checkpoint.encoded(), db)
            try AuditStore.append(AuditEntry.Record(kind: .policyChanged), node: identity.publicKey, now: start, db)
        }
        let report = try verify(party)
        #expect(report.ok && report.entries == 1)
    }

    @Test func theBreakerStatePersists() throws {
        let party = try LedgerParty("breaker", seed: 4)
        #expect(try party.database.pool.read { db in try BreakerStore.load(db) } == .closed)
        let tripped = CircuitBreaker.State.tripped(reason: "owner", since: start, automatic: false)
        try party.write { db in try BreakerStore.save(tripped, db) }
        #expect(try party.database.pool.read { db in try BreakerStore.load(db) } == tripped)
        try party.write { db in try NodeMetaStore.set(BreakerStore.key, Array("garbage".utf8), db) }
        let unreadable = try party.database.pool.read { db in try BreakerStore.load(db) }
        #expect(
            unreadable == .tripped(reason: "the saved breaker state is unreadable", since: .zero, automatic: true),
            "a damaged state fails safe"
        )
    }
}
