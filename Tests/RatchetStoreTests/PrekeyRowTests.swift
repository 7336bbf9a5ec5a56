import Foundation
import GRDB
import MeshCore
import Ratchet
import RatchetStore
import Testing

/// The prekeys row is the one secret every receive used to open and re-seal. Only a first message needs it.
@Suite struct PrekeyRowTests {
    let now = Timestamp(secondsSinceEpoch: 1_800_000_000)

    func sealedPrekeys(_ agent: StoredAgent) throws -> Data? {
        try DatabaseQueue(path: agent.path).read { db in
            try Data.fetchOne(db, sql: "SELECT sealed FROM ratchet_prekeys WHERE id = 1")
        }
    }

    @Test func anEstablishedMessageLeavesThePrekeysRowAlone() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var random = SeededRandom(seed: 91)
        let alice = StoredAgent(seed: 1, directory: directory)
        let bob = StoredAgent(seed: 2, directory: directory)
        let bundle = try bob.bundle(now: now, random: &random)
        try alice.store.startSession(identity: alice.identity, bundle: bundle, random: &random)
        let hello = try alice.store.encrypt(Array("hello".utf8), to: bob.identity.publicKey, random: &random)
        let beforeFirst = try sealedPrekeys(bob)
        _ = try bob.store.receive(
            hello,
            from: alice.identity.publicKey,
            identity: bob.identity,
            now: now,
            random: &random
        )
        // The first message used a one-time prekey: the row was rewritten (sealing draws a fresh nonce).
        let afterFirst = try sealedPrekeys(bob)
        #expect(afterFirst != beforeFirst)
        // Bob answers, so Alice's next messages no longer carry the initial header.
        let reply = try bob.store.encrypt(Array("hi".utf8), to: alice.identity.publicKey, random: &random)
        _ = try alice.store.receive(
            reply,
            from: bob.identity.publicKey,
            identity: alice.identity,
            now: now,
            random: &random
        )
        for index in 0..<5 {
            let text = Array("message \(index)".utf8)
            let envelope = try alice.store.encrypt(text, to: bob.identity.publicKey, random: &random)
            #expect(envelope.initialHeader == nil)
            let opened = try bob.store.receive(
                envelope,
                from: alice.identity.publicKey,
                identity: bob.identity,
                now: now,
                random: &random
            )
            #expect(opened == text)
        }
        #expect(try sealedPrekeys(bob) == afterFirst)
    }

    @Test func anInitialMessageIsRefusedByTheEstablishedPath() throws {
        var random = SeededRandom(seed: 92)
        let alice = AgentIdentity.generate(using: &random)
        let bob = AgentIdentity.generate(using: &random)
        let prekeys = PrekeySecrets(identity: bob, schedule: PrekeySchedule(), now: now, random: &random)
        var sending = PeerSessions(remoteIdentity: bob.publicKey)
        try sending.startSession(identity: alice, bundle: prekeys.bundle(identity: bob), random: &random)
        let hello = try sending.encrypt(Array("hello".utf8), random: &random)
        var receiving = PeerSessions(remoteIdentity: alice.publicKey)
        #expect(throws: RatchetError.self) { _ = try receiving.receiveEstablished(hello, random: &random) }
        #expect(receiving.sessions.isEmpty)
    }
}
