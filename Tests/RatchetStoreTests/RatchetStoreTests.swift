import Foundation
import MeshCore
import Ratchet
import RatchetStore
import Testing

/// An agent whose Ratchet state lives in its own SQLite file; `store` opens it afresh each time (a restart).
struct StoredAgent {
    let identity: AgentIdentity
    let path: String

    init(seed: UInt64, directory: URL) {
        var random = SeededRandom(seed: seed)
        identity = AgentIdentity.generate(using: &random)
        path = directory.appendingPathComponent("agent-\(seed).sqlite").path
    }

    var store: RatchetStore {
        get throws { try RatchetStore(path: path, key: RatchetStore.key(for: identity)) }
    }

    func bundle(now: Timestamp, random: inout SeededRandom) throws -> PrekeyBundle {
        try store.prekeys(identity: identity, now: now, random: &random).bundle(identity: identity)
    }
}

func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("ratchet-store-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

@Suite struct RatchetStoreTests {
    let now = Timestamp(secondsSinceEpoch: 1_800_000_000)

    @Test func aConversationSurvivesRestartsOfEitherSideAtAnyPoint() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var random = SeededRandom(seed: 71)
        let alice = StoredAgent(seed: 1, directory: directory)
        let bob = StoredAgent(seed: 2, directory: directory)
        let bobBundle = try bob.bundle(now: now, random: &random)
        try alice.store.startSession(identity: alice.identity, bundle: bobBundle, random: &random)
        var inFlightToBob: [(RatchetEnvelope, [UInt8])] = []
        var inFlightToAlice: [(RatchetEnvelope, [UInt8])] = []
        for step in 0..<30 {
            let text = Array("step \(step)".utf8)
            switch Int.random(in: 0..<4, using: &random) {
            case 0:
                inFlightToBob.append((try alice.store.encrypt(text, to: bob.identity.publicKey, random: &random), text))
            case 1 where try bob.store.sessions(with: alice.identity.publicKey).active?.ratchet.canSend == true:
                inFlightToAlice.append(
                    (try bob.store.encrypt(text, to: alice.identity.publicKey, random: &random), text)
                )
            case 2 where !inFlightToBob.isEmpty:
                let (envelope, expected) = inFlightToBob.remove(
                    at: Int.random(in: 0..<inFlightToBob.count, using: &random)
                )
                let opened = try bob.store.receive(
                    RatchetEnvelope.decode(envelope.wireBytes),
                    from: alice.identity.publicKey,
                    identity: bob.identity,
                    now: now,
                    random: &random
                )
                #expect(opened == expected)
            case 3 where !inFlightToAlice.isEmpty:
                let (envelope, expected) = inFlightToAlice.removeFirst()
                let opened = try alice.store.receive(
                    envelope,
                    from: bob.identity.publicKey,
                    identity: alice.identity,
                    now: now,
                    random: &random
                )
                #expect(opened == expected)
            default:
                inFlightToBob.append((try alice.store.encrypt(text, to: bob.identity.publicKey, random: &random), text))
            }
        }
        for (envelope, expected) in inFlightToBob {
            let opened = try bob.store.receive(
                envelope,
                from: alice.identity.publicKey,
                identity: bob.identity,
                now: now,
                random: &random
            )
            #expect(opened == expected)
        }
        // The one-time prekey Alice used is gone from Bob's stored prekeys, and the bundle was topped up.
        #expect(try alice.store.sessions(with: bob.identity.publicKey).active?.pendingInitialHeader == nil)
        let stored = try bob.store.prekeys(identity: bob.identity, now: now, random: &random)
        #expect(stored.oneTimePrekeys.count == stored.schedule.oneTimePrekeyBatch)
        #expect(Set(stored.oneTimePrekeys.map(\.publicKey)) != Set(bobBundle.oneTimePrekeys))
    }

    @Test func secretsAreEncryptedAtRest() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var random = SeededRandom(seed: 72)
        let bob = StoredAgent(seed: 2, directory: directory)
        let prekeys = try bob.store.prekeys(identity: bob.identity, now: now, random: &random)
        let secrets =
            [prekeys.signedPrekey.privateKey.rawRepresentation.copyBytes()]
            + prekeys.oneTimePrekeys.map { $0.rawRepresentation.copyBytes() }
        var contents: [UInt8] = []
        for suffix in ["", "-wal"] {
            if let data = FileManager.default.contents(atPath: bob.path + suffix) { contents += [UInt8](data) }
        }
        #expect(!contents.isEmpty)
        for secret in secrets {
            #expect(!contents.windows(32).contains(secret), "a private prekey is stored in the clear")
        }
        // Another key cannot read it: a typed corrupt-state error, not garbage.
        var other = SeededRandom(seed: 99)
        let wrong = RatchetStore.key(for: AgentIdentity.generate(using: &other))
        let error = #expect(throws: RatchetError.self) {
            _ = try RatchetStore(path: bob.path, key: wrong).prekeys(identity: bob.identity, now: now, random: &random)
        }
        #expect(error?.code == .corruptState)
    }

    @Test func aCorruptSessionRowHealsThroughARehandshake() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var random = SeededRandom(seed: 73)
        let alice = StoredAgent(seed: 1, directory: directory)
        let bob = StoredAgent(seed: 2, directory: directory)
        try alice.store.startSession(
            identity: alice.identity,
            bundle: try bob.bundle(now: now, random: &random),
            random: &random
        )
        let hello = try alice.store.encrypt(Array("hello".utf8), to: bob.identity.publicKey, random: &random)
        _ = try bob.store.receive(
            hello,
            from: alice.identity.publicKey,
            identity: bob.identity,
            now: now,
            random: &random
        )

        // Bob's session row is damaged on disk.
        try corruptSessionRow(path: bob.path)
        let next = try alice.store.encrypt(Array("still there?".utf8), to: bob.identity.publicKey, random: &random)
        let error = #expect(throws: RatchetError.self) {
            _ = try bob.store.receive(
                next,
                from: alice.identity.publicKey,
                identity: bob.identity,
                now: now,
                random: &random
            )
        }
        #expect(error?.code == .corruptState)
        var healer = SessionHealer()
        let event = healer.decryptionFailed(peer: alice.identity.publicKey, error: error!, now: now)
        #expect(event?.action == .rehandshake)

        try bob.store.deleteSessions(with: alice.identity.publicKey)
        try bob.store.startSession(
            identity: bob.identity,
            bundle: try alice.bundle(now: now, random: &random),
            random: &random
        )
        let heal = try bob.store.encrypt(
            Array("I lost our session".utf8),
            to: alice.identity.publicKey,
            random: &random
        )
        #expect(
            try alice.store.receive(
                heal,
                from: bob.identity.publicKey,
                identity: alice.identity,
                now: now,
                random: &random
            )
                == Array("I lost our session".utf8)
        )
        let resumed = try alice.store.encrypt(Array("resumed".utf8), to: bob.identity.publicKey, random: &random)
        #expect(
            try bob.store.receive(
                resumed,
                from: alice.identity.publicKey,
                identity: bob.identity,
                now: now,
                random: &random
            )
                == Array("resumed".utf8)
        )
    }

    @Test func aFailedReceiveChangesNothingOnDisk() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var random = SeededRandom(seed: 74)
        let alice = StoredAgent(seed: 1, directory: directory)
        let bob = StoredAgent(seed: 2, directory: directory)
        let bundle = try bob.bundle(now: now, random: &random)
        try alice.store.startSession(identity: alice.identity, bundle: bundle, random: &random)
        let hello = try alice.store.encrypt(Array("hello".utf8), to: bob.identity.publicKey, random: &random)
        var wire = hello.wireBytes
        wire[wire.count - 1] ^= 1
        let before = try bob.store.prekeys(identity: bob.identity, now: now, random: &random).oneTimePrekeys.count
        #expect(throws: RatchetError.self) {
            _ = try bob.store.receive(
                RatchetEnvelope.decode(wire),
                from: alice.identity.publicKey,
                identity: bob.identity,
                now: now,
                random: &random
            )
        }
        #expect(try bob.store.prekeys(identity: bob.identity, now: now, random: &random).oneTimePrekeys.count == before)
        #expect(try bob.store.sessions(with: alice.identity.publicKey).sessions.isEmpty)
        #expect(
            try bob.store.receive(
                hello,
                from: alice.identity.publicKey,
                identity: bob.identity,
                now: now,
                random: &random
            )
                == Array("hello".utf8)
        )
    }
}

extension Array where Element == UInt8 {
    func windows(_ size: Int) -> [[UInt8]] {
        guard count >= size else { return [] }
        return (0...(count - size)).map { Array(self[$0..<($0 + size)]) }
    }
}
