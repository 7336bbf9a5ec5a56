import Kademlia
import MeshCore
import Testing

/// Two or three cores wired by hand: exact datagrams, replies, counters.
@Suite struct NodeTests {
    let now = Fixture.start
    let addressA = Fixture.address(1)
    let addressB = Fixture.address(2)

    func kinds(_ transmits: [KademliaTransmit]) throws -> [KademliaMessage.Kind] {
        try transmits.map { try DHTDatagram.decode($0.bytes, maximumSize: 4096).message.kind }
    }

    @Test func bootstrapVerifiesBothSidesByRoundTrip() throws {
        let a = Fixture.node(1)
        let b = Fixture.node(2)
        a.bootstrap(from: [addressB], now: now)
        let first = a.drainTransmits()
        #expect(first.map(\.destination) == [addressB])
        #expect(try kinds(first) == [.ping])
        b.handleDatagram(first[0].bytes, from: addressA, now: now)
        // B answers, and pings A back before letting it into its table.
        let answers = b.drainTransmits()
        #expect(try kinds(answers) == [.ping, .pong])
        #expect(b.routingTable.count == 0)
        a.handleDatagram(answers[1].bytes, from: addressB, now: now)
        #expect(a.routingTable.contains(b.localID))
        a.handleDatagram(answers[0].bytes, from: addressB, now: now)
        // A's pong to B's ping, then the self-lookup the bootstrap starts once A has a contact.
        Fixture.exchange(a, at: addressA, b, at: addressB, now: now)
        #expect(b.routingTable.contains(a.localID))
        #expect(a.routingTable.count == 1 && b.routingTable.count == 1)
        let added = Fixture.events(a).compactMap { event -> Contact? in
            if case .contactAdded(let contact) = event { return contact }
            return nil
        }
        #expect(added == [Contact(id: b.localID, address: addressB)])
    }

    @Test func aLoneNodeAsksASilentSeedAgainAndJoinsWhenItAnswers() throws {
        let a = Fixture.node(1)
        let b = Fixture.node(2)
        a.bootstrap(from: [addressB], now: now)
        #expect(try kinds(a.drainTransmits()) == [.ping])  // lost on the way
        // Each timeout brings one more ping, up to the configured attempts, then silence.
        var t = now
        var retries: [KademliaTransmit] = []
        for _ in 0..<4 {
            t = t + a.config.requestTimeout
            a.handleTimeout(now: t)
            retries += a.drainTransmits()
        }
        #expect(retries.map(\.destination) == Array(repeating: addressB, count: a.config.bootstrapAttempts - 1))
        #expect(a.counters.bootstrapRetries == a.config.bootstrapAttempts - 1)
        // The last retry answered: the node joins.
        b.handleDatagram(try #require(retries.last).bytes, from: addressA, now: t)
        Fixture.exchange(a, at: addressA, b, at: addressB, now: t)
        #expect(a.routingTable.contains(b.localID))
    }

    /// A seed that was down for all the first pings: the lone node asks again every `lonelyRetryInterval` and joins
    /// once the seed answers (before, it stayed alone until someone else found it).
    @Test func aLoneNodeKeepsAskingItsSeedsUntilOneAnswers() throws {
        let a = Fixture.node(1)
        let b = Fixture.node(2)
        a.bootstrap(from: [addressB], now: now)
        _ = a.drainTransmits()
        var t = now
        for _ in 0..<4 {
            t = t + a.config.requestTimeout
            a.handleTimeout(now: t)
            _ = a.drainTransmits()
        }
        // The first pings are spent: nothing more until the lonely retry, which the timer announces.
        #expect(a.pollTimeout() <= now + a.config.lonelyRetryInterval)
        a.handleTimeout(now: now + a.config.lonelyRetryInterval - .seconds(1))
        #expect(a.drainTransmits().isEmpty)
        t = now + a.config.lonelyRetryInterval
        a.handleTimeout(now: t)
        let again = a.drainTransmits()
        #expect(again.map(\.destination) == [addressB])
        #expect(try kinds(again) == [.ping])
        // Still down: another round 30 s later. Then the seed answers and the node joins.
        t = t + a.config.lonelyRetryInterval
        a.handleTimeout(now: t)
        // (The round's ping, and the retry of the last round's ping that timed out meanwhile.)
        let third = a.drainTransmits().filter { $0.destination == addressB }
        #expect(!third.isEmpty)
        b.handleDatagram(try #require(third.last).bytes, from: addressA, now: t)
        Fixture.exchange(a, at: addressA, b, at: addressB, now: t)
        #expect(a.routingTable.contains(b.localID))
        // With a contact, the lonely retry sends nothing.
        a.handleTimeout(now: t + a.config.lonelyRetryInterval * 2)
        _ = a.drainTransmits()
        let retriesNow = a.counters.bootstrapRetries
        a.handleTimeout(now: t + a.config.lonelyRetryInterval * 4)
        #expect(a.counters.bootstrapRetries == retriesNow)
    }

    @Test func aNodeWithContactsDoesNotRetryItsSeeds() throws {
        let (a, _) = pair()
        a.bootstrap(from: [Fixture.address(9)], now: now)
        _ = a.drainTransmits()
        a.handleTimeout(now: now + a.config.requestTimeout)
        #expect(a.drainTransmits().allSatisfy { $0.destination != Fixture.address(9) })
        #expect(a.counters.bootstrapRetries == 0)
    }

    func pair() -> (KademliaNode, KademliaNode) {
        let a = Fixture.node(1)
        let b = Fixture.node(2)
        a.bootstrap(from: [addressB], now: now)
        Fixture.exchange(a, at: addressA, b, at: addressB, now: now)
        _ = Fixture.events(a)
        _ = Fixture.events(b)
        return (a, b)
    }

    @Test func publishWritesWithTokensAndGetFindsTheRecord() throws {
        let (a, b) = pair()
        try a.publishAgentRecord(agentCard: Array("{}".utf8), now: now)
        Fixture.exchange(a, at: addressA, b, at: addressB, now: now)
        let published = Fixture.events(a).compactMap { event -> PublishResult? in
            if case .publishFinished(let result) = event { return result }
            return nil
        }
        #expect(published.map(\.accepted) == [1])
        #expect(published.map(\.refused) == [0])
        let key = AgentRecord.key(forDID: a.did)
        #expect(b.store.value(for: key, now: now)?.publisher == a.localID)
        // A fresh node asks B.
        let c = Fixture.node(3)
        let addressC = Fixture.address(3)
        c.adoptVerifiedContact(Contact(id: b.localID, address: addressB), now: now)
        c.getAgentRecord(did: a.did, now: now)
        Fixture.exchange(c, at: addressC, b, at: addressB, now: now)
        // B also named A, which this wiring never reaches: the lookup asks the k closest (decision 0105), so it
        // finishes once that request times out.
        c.handleTimeout(now: now + c.config.requestTimeout)
        let found = Fixture.events(c).compactMap { event -> LookupResult? in
            if case .lookupFinished(let result) = event { return result }
            return nil
        }
        #expect(found.count == 1)
        #expect(found.first?.agentRecord == a.ownAgentRecord)
        #expect(found.first?.hops == 1)
    }

    /// A publish whose own copy the node's store refuses (here stale: the store holds a higher sequence) still goes
    /// out, and the result says why the copy was not kept; it used to be dropped with `try?`, unseen.
    @Test func aRefusedOwnCopyIsReportedNotDropped() throws {
        let (a, b) = pair()
        let identity = Fixture.identity(1)
        let key = AgentRecord.key(forDID: a.did)
        let newer = try AgentRecord.signed(by: identity, sequence: 200, issuedAt: now, ttl: .seconds(600))
        let older = try AgentRecord.signed(by: identity, sequence: 100, issuedAt: now, ttl: .seconds(600))
        try a.publish(newer.envelope, key: key, now: now)
        try a.publish(older.envelope, key: key, now: now)
        Fixture.exchange(a, at: addressA, b, at: addressB, now: now)
        let results = Fixture.events(a).compactMap { event -> PublishResult? in
            if case .publishFinished(let result) = event { return result }
            return nil
        }
        #expect(results.count == 2)
        #expect(results.map { $0.ownCopyRefused?.code } == [nil, .stale])
        #expect(a.store.value(for: key, now: now)?.sequence == 200)
    }

    @Test func writesWithoutAValidTokenAreRefused() throws {
        let (a, b) = pair()
        let record = try AgentRecord.signed(by: a.signingKey, sequence: 1, issuedAt: now, ttl: .seconds(60))
        let request = SignedMessage.signed(
            .store(token: [UInt8](repeating: 0, count: 16), record: record.envelope),
            transactionID: 42,
            by: a.signingKey,
            now: now
        )
        b.handleDatagram(request.datagram(), from: addressA, now: now)
        let reply = try SignedMessage.decode(datagram: b.drainTransmits()[0].bytes, maximumSize: 4096)
        #expect(reply.transactionID == 42)
        #expect(reply.message == .stored(accepted: false, code: "bad-token"))
        #expect(b.counters.recordsRejected == [.badToken: 1])
        #expect(b.store.valueCount == 0)
    }

    @Test func forgedRecordsAreRefusedEvenWithAValidToken() throws {
        let b = Fixture.node(2)
        let forger = Fixture.identity(9)
        let source = Fixture.address(9)
        let ask = SignedMessage.signed(
            .findNode(target: Fixture.id([1])),
            transactionID: 1,
            by: forger.signingKey,
            now: now
        )
        b.handleDatagram(ask.datagram(), from: source, now: now)
        let replies = try b.drainTransmits().map { try SignedMessage.decode(datagram: $0.bytes, maximumSize: 4096) }
        guard case .nodes(_, let token)? = replies.last?.message else {
            Issue.record("expected a nodes reply")
            return
        }
        // A record naming agent 1's DID, signed by the forger, with a valid write token.
        var forged = try AgentRecord.signed(by: forger, sequence: .max, issuedAt: now, ttl: .seconds(60))
        forged.did = Fixture.identity(1).did
        let store = SignedMessage.signed(
            .store(token: token, record: forged.envelope),
            transactionID: 2,
            by: forger.signingKey,
            now: now
        )
        b.handleDatagram(store.datagram(), from: source, now: now)
        let answer = try SignedMessage.decode(datagram: b.drainTransmits().last!.bytes, maximumSize: 4096)
        #expect(answer.message == .stored(accepted: false, code: "bad-signature"))
        #expect(b.counters.recordsRejected == [.badSignature: 1])
        #expect(b.store.valueCount == 0)
        let rejected = Fixture.events(b).compactMap { event -> RecordRejection.Code? in
            if case .recordRejected(let from, let rejection) = event, from == source { return rejection.code }
            return nil
        }
        #expect(rejected == [.badSignature])
    }

    @Test func badInputIsDroppedCountedAndKeptOutOfTheTable() throws {
        var config = KademliaConfig()
        config.rateLimitBurst = 10
        let b = Fixture.node(2, config: config)
        let stranger = Fixture.identity(9)
        let source = Fixture.address(9)
        b.handleDatagram([0x4D, 0x50, 1, 3, 0, 0, 0, 0, 0], from: source, now: now)
        b.handleDatagram([0, 1, 0, 0, 0x21, 0x12, 0xA4, 0x42], from: source, now: now)
        // An unsolicited reply.
        let pong = SignedMessage.signed(.pong(observed: source), transactionID: 7, by: stranger.signingKey, now: now)
        b.handleDatagram(pong.datagram(), from: source, now: now)
        // A forged signature.
        var forged = SignedMessage.signed(.ping, transactionID: 8, by: stranger.signingKey, now: now)
        forged.transactionID = 9
        b.handleDatagram(forged.datagram(), from: source, now: now)
        // Signed an hour ago.
        let stale = SignedMessage.signed(.ping, transactionID: 10, by: stranger.signingKey, now: now - .seconds(3600))
        b.handleDatagram(stale.datagram(), from: source, now: now)
        #expect(b.counters.dropped == [.malformed: 2, .unsolicited: 1, .badSignature: 1, .staleTimestamp: 1])
        // A flood: the burst of 10 is used up (5 above), then everything is dropped.
        for index in 0..<20 {
            let ping = SignedMessage.signed(
                .ping,
                transactionID: UInt64(100 + index),
                by: stranger.signingKey,
                now: now
            )
            b.handleDatagram(ping.datagram(), from: source, now: now)
        }
        #expect(b.counters.dropped[.rateLimited] == 15)
        #expect(b.routingTable.count == 0)
        // Five pings answered, one verification ping sent (and only one, however many pings arrive).
        #expect(try kinds(b.drainTransmits()) == [.ping, .pong, .pong, .pong, .pong, .pong])
    }

    @Test func readOnlyClientsAreNotVerifiedOrAdded() throws {
        var config = KademliaConfig()
        config.readOnly = true
        let client = Fixture.node(1, config: config)
        let b = Fixture.node(2)
        client.bootstrap(from: [addressB], now: now)
        b.handleDatagram(client.drainTransmits()[0].bytes, from: addressA, now: now)
        #expect(try kinds(b.drainTransmits()) == [.pong])
        #expect(b.routingTable.count == 0)
    }

    @Test func aFullBucketPingsItsStalestEntry() throws {
        var config = KademliaConfig()
        config.k = 1
        config.failuresBeforeEviction = 1
        let a = Fixture.node(1, config: config)
        // Find two identities in the same bucket of A's table.
        let seeds = (10..<200 as Range<UInt64>).filter {
            a.routingTable.bucketIndex(for: Fixture.identity($0).nodeID) == 0
        }
        let old = Contact(id: Fixture.identity(seeds[0]).nodeID, address: Fixture.address(10))
        a.adoptVerifiedContact(old, now: now)
        let later = now + .seconds(16 * 60)
        let newcomer = Fixture.node(seeds[1], config: config)
        let addressN = Fixture.address(11)
        a.ping(addressN, now: later)
        newcomer.handleDatagram(a.drainTransmits()[0].bytes, from: addressA, now: later)
        let replies = newcomer.drainTransmits()
        #expect(try kinds(replies) == [.ping, .pong])
        a.handleDatagram(replies[1].bytes, from: addressN, now: later)
        // The newcomer waits in the cache; the silent old entry is asked whether it is still there.
        let probes = a.drainTransmits()
        #expect(probes.map(\.destination) == [old.address])
        #expect(try kinds(probes) == [.ping])
        #expect(a.routingTable.contains(old.id))
        a.handleTimeout(now: later + .seconds(2))
        #expect(!a.routingTable.contains(old.id))
        #expect(a.routingTable.contains(newcomer.localID))
    }

    /// A node that restarts on another port keeps its key, so its ID: the table must follow it to the new address
    /// once it proves itself there, or every lookup hands out the dead one. (Before, a known ID was never asked at
    /// a new address and stayed at the old one until enough requests there failed.)
    @Test func aKnownNodeThatComesBackAtANewAddressIsMovedOnceItAnswersThere() throws {
        let a = Fixture.node(1)
        let b = Fixture.node(2)
        a.adoptVerifiedContact(Contact(id: b.localID, address: addressB), now: now)
        let moved = Fixture.address(2, port: 4_001)
        b.ping(addressA, now: now)
        a.handleDatagram(b.drainTransmits()[0].bytes, from: moved, now: now)
        let replies = a.drainTransmits()
        #expect(replies.map(\.destination) == [moved, moved])
        #expect(try kinds(replies) == [.ping, .pong])
        #expect(a.routingTable.entry(for: b.localID)?.contact.address == addressB, "a request alone moves nothing")
        for reply in replies { b.handleDatagram(reply.bytes, from: addressA, now: now) }
        for answer in b.drainTransmits() where answer.destination == addressA {
            a.handleDatagram(answer.bytes, from: moved, now: now)
        }
        #expect(a.routingTable.entry(for: b.localID)?.contact.address == moved)
        #expect(a.routingTable.count == 1)
    }

    /// A dual-stack peer known over IPv4 that writes over IPv6 is answered, not moved: its entry would otherwise
    /// flip between the families with its requests.
    @Test func aKnownNodeWritingOverTheOtherFamilyIsAnsweredNotMoved() throws {
        let a = Fixture.node(1)
        let b = Fixture.node(2)
        a.adoptVerifiedContact(Contact(id: b.localID, address: addressB), now: now)
        let documentationPrefix: [UInt8] = [0x20, 0x01, 0x0d, 0xb8]
        let overIPv6 = TransportAddress(ip: documentationPrefix + [UInt8](repeating: 0, count: 11) + [2], port: 4_000)!
        b.ping(addressA, now: now)
        a.handleDatagram(b.drainTransmits()[0].bytes, from: overIPv6, now: now)
        #expect(try kinds(a.drainTransmits()) == [.pong])
        #expect(a.routingTable.entry(for: b.localID)?.contact.address == addressB)
    }

    /// Someone replaying a known node's signed request from an address of their own gets a ping there that nobody
    /// answers: the entry stays where it was, and the unanswered ping is not counted against it.
    @Test func aReplayedRequestFromAnotherAddressMovesNothingAndCostsTheEntryNothing() throws {
        var config = KademliaConfig()
        config.failuresBeforeEviction = 1
        let a = Fixture.node(1, config: config)
        let b = Fixture.node(2)
        a.adoptVerifiedContact(Contact(id: b.localID, address: addressB), now: now)
        b.ping(addressA, now: now)
        let forger = Fixture.address(66)
        a.handleDatagram(b.drainTransmits()[0].bytes, from: forger, now: now)
        #expect(try kinds(a.drainTransmits()) == [.ping, .pong])
        a.handleTimeout(now: now + .seconds(5))
        let entry = a.routingTable.entry(for: b.localID)
        #expect(entry?.contact.address == addressB)
        #expect(entry?.failures == 0)
    }

    @Test func replayedRepliesFindNoTransaction() throws {
        let a = Fixture.node(1)
        let b = Fixture.node(2)
        a.bootstrap(from: [addressB], now: now)
        b.handleDatagram(a.drainTransmits()[0].bytes, from: addressA, now: now)
        let pong = b.drainTransmits()[1]
        a.handleDatagram(pong.bytes, from: addressB, now: now)
        a.handleDatagram(pong.bytes, from: addressB, now: now)
        #expect(a.counters.dropped == [.unsolicited: 1])
    }

    @Test func lookupsAreBoundedInTime() throws {
        let a = Fixture.node(1)
        let silent = Contact(id: Fixture.identity(5).nodeID, address: Fixture.address(5))
        a.adoptVerifiedContact(silent, now: now)
        let query = a.findNode(Fixture.id([1]), now: now)
        #expect(a.pendingRequests == 1)
        #expect(a.pollTimeout() == now + .milliseconds(400))
        a.handleTimeout(now: now + .milliseconds(400))
        #expect(a.activeLookups == 1)
        #expect(a.pollTimeout() == now + .seconds(2))
        a.handleTimeout(now: now + .seconds(2))
        let results = Fixture.events(a).compactMap { event -> LookupResult? in
            if case .lookupFinished(let result) = event { return result }
            return nil
        }
        #expect(results.map(\.id) == [query])
        #expect(results.first?.closest == [])
        #expect(a.counters.requestsTimedOut == 1)
        #expect(a.routingTable.entry(for: silent.id)?.failures == 1)
    }
}
