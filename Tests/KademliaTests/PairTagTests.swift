import MeshCore
import Testing

@testable import Kademlia

/// Pair tags (decision 0124): which datagrams carry a tag and which a signature, and that a tag authenticates
/// exactly what a signature did (the sender, to this recipient, for these bytes), between real cores.
@Suite struct PairTagTests {
    let now = Fixture.start
    let addressA = Fixture.address(1)
    let addressB = Fixture.address(2)
    let addressC = Fixture.address(3)

    /// Delivers everything between two nodes until both are quiet, recording each datagram's kind in order.
    func exchange(_ a: KademliaNode, _ b: KademliaNode, at time: Timestamp? = nil) throws -> [String] {
        var kinds: [String] = []
        var progress = true
        while progress {
            progress = false
            for (from, fromAddress, to, toAddress) in [(a, addressA, b, addressB), (b, addressB, a, addressA)] {
                for transmit in from.drainTransmits() where transmit.destination == toAddress {
                    kinds.append(try kind(transmit.bytes))
                    to.handleDatagram(transmit.bytes, from: fromAddress, now: time ?? now)
                    progress = true
                }
            }
        }
        return kinds
    }

    func kind(_ bytes: [UInt8]) throws -> String {
        switch try DHTDatagram.decode(bytes, maximumSize: 4_096) {
        case .signed: "signed"
        case .tagged: "tagged"
        }
    }

    func joined() throws -> (KademliaNode, KademliaNode) {
        let a = Fixture.node(1)
        let b = Fixture.node(2)
        a.bootstrap(from: [addressB], now: now)
        _ = try exchange(a, b)
        return (a, b)
    }

    /// A's request to B through the public probe, not yet delivered.
    func probe(from a: KademliaNode, to b: KademliaNode, at address: TransportAddress) throws -> [UInt8] {
        a.probe(.findNode(Fixture.id([9])), to: Contact(id: b.localID, address: address), now: now)
        return try #require(a.drainTransmits().last { $0.destination == address }).bytes
    }

    @Test func onlyTheVeryFirstDatagramIsSigned() throws {
        let a = Fixture.node(1)
        let b = Fixture.node(2)
        a.bootstrap(from: [addressB], now: now)
        let kinds = try exchange(a, b)
        // A's first ping knows nothing of B; everything after it is between nodes that know each other's keys.
        #expect(kinds.first == "signed")
        #expect(kinds.count > 3)
        #expect(kinds.dropFirst().allSatisfy { $0 == "tagged" })
        #expect(a.routingTable.contains(b.localID) && b.routingTable.contains(a.localID))
        #expect(a.counters.sentTagged + 1 == a.counters.sent)
        #expect(b.counters.receivedTagged == a.counters.sentTagged)
        // One agreement each, however many datagrams followed.
        #expect(a.pairKeysDerived == 1 && b.pairKeysDerived == 1)
        #expect(a.counters.dropped.isEmpty && b.counters.dropped.isEmpty)
    }

    @Test func aNodeWithoutTagsIsSignedToAndNeverSentATag() throws {
        var config = KademliaConfig()
        config.pairTags = false
        let a = Fixture.node(1)
        let b = Fixture.node(2, config: config)
        a.bootstrap(from: [addressB], now: now)
        var kinds = try exchange(a, b)
        a.probe(.findNode(Fixture.id([9])), to: Contact(id: b.localID, address: addressB), now: now)
        kinds += try exchange(a, b)
        #expect(kinds.count > 4)
        #expect(kinds.allSatisfy { $0 == "signed" })
        #expect(a.routingTable.contains(b.localID) && b.routingTable.contains(a.localID))
        #expect(a.pairKeysDerived == 0 && b.counters.dropped.isEmpty)
    }

    @Test func aNodeWithoutTagsRefusesATaggedDatagram() throws {
        let (a, b) = try joined()
        var config = KademliaConfig()
        config.pairTags = false
        let untagged = Fixture.node(2, config: config)
        untagged.handleDatagram(try probe(from: a, to: b, at: addressB), from: addressA, now: now)
        #expect(untagged.counters.dropped == [.badTag: 1])
        #expect(untagged.drainTransmits().isEmpty)
    }

    @Test func aTamperedTagIsDroppedAndNotAnswered() throws {
        let (a, b) = try joined()
        let request = try probe(from: a, to: b, at: addressB)
        #expect(try kind(request) == "tagged")
        // The transaction ID's last byte: the frame still decodes, the tag no longer matches it.
        var tampered = request
        tampered[Frame.headerByteCount + 32 + 8 + 7] ^= 0x01
        let before = b.counters.receivedTagged
        b.handleDatagram(tampered, from: addressA, now: now)
        #expect(b.counters.dropped == [.badTag: 1])
        #expect(b.drainTransmits().isEmpty)
        #expect(b.counters.receivedTagged == before)
        // The untouched one is answered, with a tag.
        b.handleDatagram(request, from: addressA, now: now)
        let reply = try #require(b.drainTransmits().first)
        #expect(try kind(reply.bytes) == "tagged")
    }

    @Test func aTagMadeForOneNodeIsWorthlessAtAnother() throws {
        let (a, b) = try joined()
        let c = Fixture.node(3)
        // C has met A, so it would take a tag from A; but this one was made for B.
        a.ping(addressC, now: now)
        for transmit in a.drainTransmits() where transmit.destination == addressC {
            c.handleDatagram(transmit.bytes, from: addressA, now: now)
        }
        _ = c.drainTransmits()
        let forB = try probe(from: a, to: b, at: addressB)
        c.handleDatagram(forB, from: addressA, now: now)
        #expect(c.counters.dropped == [.badTag: 1])
        #expect(c.drainTransmits().isEmpty)
    }

    @Test func aNodeThatForgotItsPeersStillChecksTheirTags() throws {
        let (a, b) = try joined()
        let request = try probe(from: a, to: b, at: addressB)
        // B restarts with the same key and nothing remembered: the tag carries A's key, so B derives the pair key.
        let restarted = Fixture.node(2)
        restarted.handleDatagram(request, from: addressA, now: now)
        #expect(restarted.counters.dropped.isEmpty)
        #expect(restarted.pairKeysDerived == 1)
        let reply = try #require(restarted.drainTransmits().last { $0.destination == addressA })
        #expect(try kind(reply.bytes) == "tagged")
        a.handleDatagram(reply.bytes, from: addressB, now: now)
        #expect(a.counters.dropped.isEmpty)
        let answered = Fixture.events(a).contains { event in
            if case .probeFinished(let result) = event { return result.answered }
            return false
        }
        #expect(answered)
        // The same reply again finds no pending request.
        a.handleDatagram(reply.bytes, from: addressB, now: now)
        #expect(a.counters.dropped == [.unsolicited: 1])
    }

    @Test func theKeyMemoryIsBoundedAndForgetsTheOldestFirst() throws {
        var config = KademliaConfig()
        config.maximumPairKeys = 1
        let a = Fixture.node(1, config: config)
        let b = Fixture.node(2)
        let c = Fixture.node(3)
        a.bootstrap(from: [addressB], now: now)
        _ = try exchange(a, b)
        #expect(a.pairKeyCount == 1)
        a.ping(addressC, now: now)
        for transmit in a.drainTransmits() where transmit.destination == addressC {
            c.handleDatagram(transmit.bytes, from: addressA, now: now)
        }
        for transmit in c.drainTransmits() where transmit.destination == addressA {
            a.handleDatagram(transmit.bytes, from: addressC, now: now)
        }
        _ = a.drainTransmits()
        #expect(a.pairKeyCount == 1)
        // A forgot B, so it signs to B again; B still remembers A and answers with a tag, which A checks anew.
        let derivedBefore = a.pairKeysDerived
        let request = try probe(from: a, to: b, at: addressB)
        #expect(try kind(request) == "signed")
        b.handleDatagram(request, from: addressA, now: now)
        let reply = try #require(b.drainTransmits().last { $0.destination == addressA })
        #expect(try kind(reply.bytes) == "tagged")
        a.handleDatagram(reply.bytes, from: addressB, now: now)
        #expect(a.counters.dropped.isEmpty)
        #expect(a.pairKeysDerived == derivedBefore + 1)
        #expect(a.pairKeyCount == 1)
    }

    @Test func bothEndsDeriveTheSameKeyAndNoOtherPairDoes() throws {
        let a = Fixture.identity(1).signingKey
        let b = Fixture.identity(2).signingKey
        let c = Fixture.identity(3).signingKey
        let ab = try PairKey(local: a.agreementKey(), localKey: a.publicKey, peer: b.publicKey)
        let ba = try PairKey(local: b.agreementKey(), localKey: b.publicKey, peer: a.publicKey)
        let ac = try PairKey(local: a.agreementKey(), localKey: a.publicKey, peer: c.publicKey)
        #expect(ab.secret.constantTimeEquals(ba.secret))
        #expect(!ab.secret.constantTimeEquals(ac.secret))
        #expect(ab.secret.count == 32)
    }

    @Test func aTaggedDatagramRoundTripsAndRefusesTruncation() throws {
        let a = Fixture.identity(1).signingKey
        let b = Fixture.identity(2).signingKey
        let key = try PairKey(local: a.agreementKey(), localKey: a.publicKey, peer: b.publicKey)
        let bytes = TaggedMessage.datagram(
            .findValue(key: Fixture.id([4])),
            transactionID: 77,
            from: a.publicKey,
            to: b.publicKey,
            key: key,
            now: now,
            flags: DHTDatagram.takesTagsFlag
        )
        let decoded = try TaggedMessage.decode(datagram: bytes, maximumSize: 4_096)
        #expect(decoded.transactionID == 77 && decoded.sender == a.publicKey)
        #expect(decoded.message == .findValue(key: Fixture.id([4])))
        #expect(decoded.datagram() == bytes)
        #expect(decoded.isTagValid(recipient: b.publicKey, key: key))
        #expect(!decoded.isTagValid(recipient: a.publicKey, key: key))
        // Signed-message decoding refuses it, and a tagged frame too short for the fixed fields is refused.
        #expect(throws: WireError.self) { try SignedMessage.decode(datagram: bytes, maximumSize: 4_096) }
        let short = Frame(type: TaggedMessage.frameType, payload: [UInt8](repeating: 0, count: 40)).encoded()
        #expect(throws: WireError.self) { try DHTDatagram.decode(short, maximumSize: 4_096) }
    }
}
