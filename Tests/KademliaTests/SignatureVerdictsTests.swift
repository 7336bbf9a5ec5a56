import Kademlia
import MeshCore
import Testing

@testable import KademliaSimulator

/// Signatures verified ahead of delivery on other threads (`SignatureVerdicts`, decision 0116): each verdict is the
/// one for its own datagram, nothing is held after its ticket is taken or given up, and a whole run is the same with
/// any number of verifying threads
/// (`HonestSimulatorTests.aRunIsTheSameWithAnyNumberOfVerifyingThreads`).
@Suite struct SignatureVerdictsTests {
    static let now = Fixture.start

    /// A mix of good datagrams, forged ones (a field changed after signing) and bytes that are no message.
    static func datagrams(_ count: Int) -> (bytes: [[UInt8]], expected: [SignatureVerdicts.Outcome]) {
        let signer = Fixture.identity(7).signingKey
        var bytes: [[UInt8]] = []
        var expected: [SignatureVerdicts.Outcome] = []
        for index in 0..<count {
            var message = SignedMessage.signed(.ping, transactionID: UInt64(index), by: signer, now: now)
            switch index % 3 {
            case 0:
                bytes.append(message.datagram())
                expected.append(.verdict(signature: message.signature, valid: true))
            case 1:
                message.transactionID += 1_000_000
                bytes.append(message.datagram())
                expected.append(.verdict(signature: message.signature, valid: false))
            default:
                bytes.append([0x4D, 0x50, 1, 3, 0, 0, 0, UInt8(index & 0xFF)])
                expected.append(.undecodable)
            }
        }
        return (bytes, expected)
    }

    @Test func eachTicketGetsItsOwnDatagramsVerdict() {
        let verdicts = SignatureVerdicts(workers: 1)
        defer { verdicts.stop() }
        let (bytes, expected) = Self.datagrams(300)
        let tickets = bytes.map { verdicts.submit($0)! }
        // Half are taken at once (some still queued, verified by the taker), half after the worker finished.
        for index in 0..<150 { #expect(verdicts.take(tickets[index], bytes: bytes[index]) == expected[index]) }
        verdicts.finishQueued()
        for index in 150..<300 { #expect(verdicts.take(tickets[index], bytes: bytes[index]) == expected[index]) }
        #expect(verdicts.held == 0)
    }

    @Test func discardedTicketsAreNotHeld() {
        let verdicts = SignatureVerdicts(workers: 2)
        defer { verdicts.stop() }
        let (bytes, _) = Self.datagrams(200)
        let tickets = bytes.map { verdicts.submit($0)! }
        for ticket in tickets.prefix(100) { verdicts.discard(ticket) }
        verdicts.finishQueued()
        #expect(verdicts.held == 100)  // verified, waiting to be taken
        for ticket in tickets.suffix(100) { verdicts.discard(ticket) }
        #expect(verdicts.held == 0)
    }

    @Test func withoutWorkersNothingIsQueued() {
        let verdicts = SignatureVerdicts(workers: 0)
        #expect(verdicts.submit(Self.datagrams(1).bytes[0]) == nil)
        #expect(verdicts.held == 0)
    }

    /// The receiver's check answers for the message it is given: a verdict for other bytes is not used.
    @Test func theCheckAnswersForTheMessageItIsGiven() throws {
        let verdicts = SignatureVerdicts(workers: 1)
        defer { verdicts.stop() }
        let (bytes, _) = Self.datagrams(2)  // a good datagram, then a forged one
        let good = try SignedMessage.decode(datagram: bytes[0], maximumSize: 65_536)
        let forged = try SignedMessage.decode(datagram: bytes[1], maximumSize: 65_536)
        let delivery = DeliveryTicket(verdicts: verdicts)

        delivery.current = (verdicts.submit(bytes[0])!, bytes[0])
        #expect(delivery.check(forged) == false)
        delivery.current = (verdicts.submit(bytes[1])!, bytes[1])
        #expect(delivery.check(good) == true)
        // A ticket the node never asked about is given up.
        delivery.current = (verdicts.submit(bytes[0])!, bytes[0])
        delivery.finish()
        verdicts.finishQueued()
        #expect(verdicts.held == 0)
    }

    /// The node drops a request its check refuses, however well signed: the simulator's verdicts are what it uses.
    @Test func theNodeUsesItsSignatureCheck() {
        let node = Fixture.node(2)
        var asked = 0
        node.signatureCheck = { _ in
            asked += 1
            return false
        }
        let ping = SignedMessage.signed(.ping, transactionID: 1, by: Fixture.identity(9).signingKey, now: Self.now)
        node.handleDatagram(ping.datagram(), from: Fixture.address(9), now: Self.now)
        #expect(asked == 1)
        #expect(node.counters.dropped == [.badSignature: 1])
    }
}
