import Kademlia
import MeshCore
import Testing

/// A lookup believes at most one implausibly close contact per answer, so an eclipse liar's made-up sybils cannot
/// fill its k closest.
@Suite struct EclipseTests {
    @Test func oneAnswerPlacesAtMostOneImplausiblyCloseContact() throws {
        var config = KademliaConfig()
        config.k = 4
        config.alpha = 1
        let a = Fixture.node(1, config: config)
        var random = SeededRandom(seed: 3)
        // Four neighbours in bucket 3: the network looks like about k · 2^3 = 32 nodes, so sharing 3 + 2 + 3 = 8 or
        // more bits with a target is implausible.
        for last in 10..<14 as Range<UInt8> {
            let id = a.localID.randomID(inBucket: 3, using: &random)
            a.adoptVerifiedContact(Contact(id: id, address: Fixture.address(last)), now: Fixture.start)
        }
        let liar = Fixture.identity(99)
        let liarAddress = Fixture.address(50)
        a.adoptVerifiedContact(Contact(id: liar.nodeID, address: liarAddress), now: Fixture.start)
        _ = a.drainTransmits()

        let target = Fixture.id([0x5A, 0x5A])
        a.findNode(target, now: Fixture.start)
        // α = 1: one request, to the closest of the five; answer every request with a liar's reply until the liar is
        // asked, so its answer is what the lookup hears.
        var sybilAddresses: Set<TransportAddress> = []
        var sybils: [Contact] = []
        for index in 0..<10 {
            let id = target.randomID(inBucket: 12 + index % 4, using: &random)
            let address = TransportAddress(ip: [10, 200, 0, UInt8(index)], port: 4_000)!
            sybils.append(Contact(id: id, address: address))
            sybilAddresses.insert(address)
        }
        var asked: [TransportAddress] = []
        var now = Fixture.start
        for _ in 0..<12 {
            for transmit in a.drainTransmits() {
                asked.append(transmit.destination)
                let request = try DHTDatagram.decode(transmit.bytes, maximumSize: 4_096)
                guard transmit.destination == liarAddress else { continue }
                let reply = SignedMessage.signed(
                    .nodes(contacts: sybils, token: []),
                    transactionID: request.transactionID,
                    by: liar.signingKey,
                    now: now
                )
                a.handleDatagram(reply.datagram(), from: liarAddress, now: now)
            }
            // Let unanswered requests go slow so the lookup moves on.
            now = now + .milliseconds(400)
            a.handleTimeout(now: now)
        }
        #expect(asked.contains(liarAddress))
        // Ten sybils were offered; the lookup asked exactly one of them.
        #expect(asked.filter { sybilAddresses.contains($0) }.count == 1)
    }
}
