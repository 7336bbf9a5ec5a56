import Kademlia
import MeshCore
import MeshPeer
import Ratchet
import RelayFallback
import Testing

/// First contact through a record's signed prekey (decision 0071).
@Suite struct RecordPrekeysTests {
    let alice = ProfileFixture.identity(10)
    let bob = ProfileFixture.identity(20)

    @Test func theScheduleOutlastsAStaleRecordAndAStoredMessage() {
        let schedule = AgentProfile.recordPrekeySchedule
        let window = KademliaConfig().maximumRecordLifetime + .seconds(Int64(RelayLimits().maximumTTLSeconds))
        #expect(AgentProfile.firstMessageWindow == window)
        #expect(schedule.previousKeyGrace > window)
        // One previous key is kept, and the next rotation replaces it: the grace is only real up to the interval.
        #expect(schedule.rotationInterval >= schedule.previousKeyGrace)
        #expect(schedule.oneTimePrekeyBatch == 0)
    }

    /// Bob publishes; Alice reads his record and sends a first message; Bob decrypts it at `delivered`, having
    /// run his rotation schedule up to then.
    func firstMessage(deliveredAfter delay: Duration) throws -> [UInt8] {
        var random = SeededRandom(seed: 99)
        let (profile, secrets) = ProfileFixture.profile(bob, card: AgentCard.defaultCard(name: "bob", did: bob.did))
        var bobSecrets = secrets
        let record = try profile.record(
            signedBy: bob,
            sequence: 1,
            issuedAt: ProfileFixture.start,
            ttl: .seconds(1_800)
        )
        let read = try AgentProfile.read(from: try AgentRecord(wireBytes: record.wireBytes))
        #expect(read.prekeyBundle.oneTimePrekeys.isEmpty)
        var session = try RatchetSession.initiate(identity: alice, bundle: read.prekeyBundle, random: &random)
        #expect(session.pendingInitialHeader?.oneTimePrekey == nil)
        let envelope = try session.encrypt(Array("hello, bob".utf8), random: &random)
        // Bob's node rotates on schedule (it checks often; here, at every rotation due before delivery).
        var now = ProfileFixture.start
        let delivered = ProfileFixture.start + delay
        while now + AgentProfile.recordPrekeySchedule.rotationInterval <= delivered {
            now = now + AgentProfile.recordPrekeySchedule.rotationInterval
            bobSecrets.rotateIfDue(identity: bob, now: now, random: &random)
        }
        bobSecrets.rotateIfDue(identity: bob, now: delivered, random: &random)
        let (_, plaintext) = try RatchetSession.accept(
            identity: bob,
            prekeys: &bobSecrets,
            envelope: envelope,
            random: &random
        )
        return plaintext
    }

    @Test func aFirstMessageFromARecordBundleDecrypts() throws {
        #expect(try firstMessage(deliveredAfter: .seconds(60)) == Array("hello, bob".utf8))
    }

    @Test func itStillDecryptsAfterOneRotationWithinTheGrace() throws {
        // The record was read just before a rotation, and the message waited the longest a relay keeps one.
        let schedule = AgentProfile.recordPrekeySchedule
        let latest = schedule.rotationInterval + AgentProfile.firstMessageWindow
        #expect(try firstMessage(deliveredAfter: latest) == Array("hello, bob".utf8))
    }

    @Test func afterTwoRotationsTheOldKeyIsGone() throws {
        let schedule = AgentProfile.recordPrekeySchedule
        let error = #expect(throws: RatchetError.self) {
            try firstMessage(deliveredAfter: schedule.rotationInterval + schedule.previousKeyGrace)
        }
        #expect(error?.code == .unknownPrekey)
    }

    @Test func aRealRecordWithTheRealBundleIsPublishedAndStored() throws {
        let (profile, _) = ProfileFixture.profile(bob, card: try ProfileFixture.ownerCard())
        var full = profile
        full.homeRelays = (0..<AgentRecord.maximumRelays).map { index in
            let prefix = "wss://relay-\(index).example.net/"
            return prefix + String(repeating: "p", count: AgentRecord.maximumRelayBytes - prefix.utf8.count)
        }
        full.addressHints = Array(repeating: [UInt8](repeating: 4, count: AgentRecord.maximumHintBytes), count: 4)
        let contents = try full.recordContents(signedBy: bob)
        #expect(contents.homeRelays.allSatisfy { $0.utf8.count == AgentRecord.maximumRelayBytes })
        let a = KademliaNode(identity: bob, random: SeededRandom(seed: 1), now: ProfileFixture.start)
        let b = KademliaNode(
            identity: ProfileFixture.identity(30),
            random: SeededRandom(seed: 2),
            now: ProfileFixture.start
        )
        let addressA = TransportAddress(ip: [127, 0, 0, 1], port: 4_001)!
        let addressB = TransportAddress(ip: [127, 0, 0, 2], port: 4_002)!
        a.bootstrap(from: [addressB], now: ProfileFixture.start)
        ProfileFixture.exchange(a, at: addressA, b, at: addressB)
        try a.publishAgentRecord(
            agentCard: contents.agentCard,
            homeRelays: contents.homeRelays,
            addressHints: contents.addressHints,
            prekeyBundle: contents.prekeyBundle,
            extensions: contents.extensions,
            now: ProfileFixture.start
        )
        ProfileFixture.exchange(a, at: addressA, b, at: addressB)
        var accepted: [Int] = []
        while let event = a.pollEvent() {
            if case .publishFinished(let result) = event { accepted.append(result.accepted) }
        }
        #expect(accepted == [1])
        let stored = try #require(b.store.value(for: AgentRecord.key(forDID: bob.did), now: ProfileFixture.start))
        let read = try AgentProfile.read(from: try AgentRecord(wireBytes: stored.envelope.bytes))
        #expect(read.prekeyBundle == profile.prekeyBundle)
        #expect(read.homeRelays == full.homeRelays)
    }
}
