import DirectPath
import MeshCore
import Testing

/// Count and SHA-256 of a message sequence: equal digests mean the same messages in the same order (and a failure
/// prints two short lines instead of megabytes).
func digest(_ messages: [[UInt8]]) -> String {
    var chained: [UInt8] = []
    for message in messages { chained = SHA256.hash(chained + SHA256.hash(message)) }
    return "\(messages.count) messages, \(Hex.encode(chained.prefix(8)))"
}

/// Exactly-once, in-order delivery over a hostile simulated network (loss up to 20%, reordering, duplication).
@Suite struct ReliabilityTests {
    static func messages(count: Int, seed: UInt64, largeEvery: Int = 0) -> [[UInt8]] {
        var random = SeededRandom(seed: seed)
        return (0..<count).map { index in
            let size =
                largeEvery > 0 && index % largeEvery == 0
                ? Int.random(in: 50_000...200_000, using: &random) : Int.random(in: 0...3_000, using: &random)
            return random.bytes(count: size)
        }
    }

    @Test(
        arguments: [
            (0.0, 0.0, UInt64(1)),
            (0.05, 0.0, 2),
            (0.2, 0.0, 3),
            (0.1, 0.05, 4),
            (0.2, 0.1, 5),
        ]
    )
    func everyMessageArrivesOnceInOrder(loss: Double, duplication: Double, seed: UInt64) throws {
        var link = try SimulatedLink(
            conditions: .init(
                latency: .milliseconds(30),
                jitter: .milliseconds(25),
                loss: loss,
                duplication: duplication
            ),
            seed: seed
        )
        let toB = Self.messages(count: 300, seed: seed * 10, largeEvery: 60)
        let toA = Self.messages(count: 150, seed: seed * 10 + 1)
        for message in toB { try link.a.send(message) }
        for message in toA { try link.b.send(message) }
        let finished = link.run { $0.receivedByB.count >= toB.count && $0.receivedByA.count >= toA.count }
        #expect(finished)
        #expect(digest(link.receivedByB) == digest(toB))
        #expect(digest(link.receivedByA) == digest(toA))
        #expect(link.a.statistics.messagesSent == toB.count)
        #expect(link.b.statistics.messagesDelivered == toB.count)
        if loss > 0 { #expect(link.a.statistics.packetsLost > 0) }
        if duplication > 0 { #expect(link.a.statistics.droppedReplayed + link.b.statistics.droppedReplayed > 0) }
        #expect(link.a.statistics.droppedForged == 0 && link.b.statistics.droppedForged == 0)
    }

    @Test func oneMebibyteMessageUnderLoss() throws {
        var link = try SimulatedLink(conditions: .init(loss: 0.1), seed: 6)
        var random = SeededRandom(seed: 60)
        let big = random.bytes(count: 1_048_576)
        try link.a.send(big)
        #expect(link.run { $0.receivedByB.count == 1 })
        #expect(link.receivedByB.first.map { SHA256.hash($0) } == SHA256.hash(big))
    }

    @Test func sendsAreRefusedAtTheLimits() throws {
        var configuration = ChannelConfiguration()
        configuration.sendBufferLimit = 10_000
        var link = try SimulatedLink(seed: 7, configuration: configuration)
        #expect(throws: ChannelSendError.messageTooLarge(1_048_577)) {
            try link.a.send([UInt8](repeating: 0, count: 1_048_577))
        }
        try link.a.send([UInt8](repeating: 1, count: 9_000))
        #expect(throws: ChannelSendError.backpressure) { try link.a.send([UInt8](repeating: 1, count: 1_000)) }
        // Once acknowledged, the buffer drains and sending works again.
        #expect(link.run { $0.a.pathQuality.unacknowledgedBytes == 0 })
        try link.a.send([UInt8](repeating: 1, count: 1_000))
    }

    @Test func pathMTUIsProbedUpwardWhenThePathAllowsIt() throws {
        var link = try SimulatedLink(seed: 8)
        try link.a.send([1, 2, 3])
        try link.b.send([4])
        #expect(link.run { $0.a.pathQuality.datagramSize == 1_452 && $0.b.pathQuality.datagramSize == 1_452 })
        #expect(link.eventsA.contains(.datagramSizeIncreased(1_452)))
    }

    @Test func pathMTUStaysWhenTheProbeIsTooBig() throws {
        // No jitter, so no reordering can make a packet look lost: any loss counted would be the probe's.
        var link = try SimulatedLink(conditions: .init(jitter: .zero, mtu: 1_300), seed: 9)
        let payload = ReliabilityTests.messages(count: 50, seed: 90)
        for message in payload { try link.a.send(message) }
        #expect(link.run { $0.receivedByB.count == payload.count })
        #expect(digest(link.receivedByB) == digest(payload))
        #expect(link.a.pathQuality.datagramSize == 1_200)
        // A lost MTU probe is not congestion and not a lost packet.
        #expect(link.a.statistics.packetsLost == 0)
    }

    @Test func rttIsMeasured() throws {
        var link = try SimulatedLink(conditions: .init(latency: .milliseconds(40), jitter: .zero), seed: 10)
        for message in ReliabilityTests.messages(count: 40, seed: 100) { try link.a.send(message) }
        #expect(link.run { $0.receivedByB.count == 40 && $0.a.pathQuality.unacknowledgedBytes == 0 })
        let rtt = link.a.pathQuality.smoothedRTT
        // 80 ms of propagation plus at most the 25 ms ack delay.
        #expect(rtt >= .milliseconds(79) && rtt <= .milliseconds(110), "\(rtt)")
    }

    /// A reader that stops reading holds the sender back through flow control: nothing queues up beyond the
    /// receive window, and everything flows again, in order, once it reads.
    @Test func aStalledReaderStopsTheSender() throws {
        var configuration = ChannelConfiguration()
        configuration.receiveWindow = 256 * 1_024
        configuration.maximumMessage = 64 * 1_024
        configuration.sendBufferLimit = 4 * 1_048_576
        var link = try SimulatedLink(conditions: .init(jitter: .zero), seed: 11, configuration: configuration)
        link.bReads = false
        let messages = ReliabilityTests.messages(count: 200, seed: 110).map { Array($0.prefix(16_000)) + [1] }
        for message in messages { try link.a.send(message) }
        let total = messages.reduce(0) { $0 + $1.count + 4 }
        link.run(for: .seconds(5)) { _ in false }
        // The peer took (acknowledged) at most one window plus what was in flight when it closed.
        let taken = total - link.a.pathQuality.unacknowledgedBytes
        #expect(
            taken <= configuration.receiveWindow + 64 * 1_024,
            "\(taken) bytes taken by a reader that reads nothing"
        )
        #expect(link.receivedByB.isEmpty)
        link.bReads = true
        #expect(link.run { $0.receivedByB.count == messages.count })
        #expect(digest(link.receivedByB) == digest(messages))
    }

    /// A lost window update must not leave a sender that is blocked on flow control (nothing in flight, so nothing
    /// to reveal the loss) waiting for the next keepalive, 15 s later: the update is ack-eliciting and resent.
    @Test func aLostWindowUpdateIsResent() throws {
        var configuration = ChannelConfiguration()
        configuration.receiveWindow = 256 * 1_024
        configuration.maximumMessage = 64 * 1_024
        var link = try SimulatedLink(conditions: .init(jitter: .zero), seed: 12, configuration: configuration)
        link.bReads = false
        var random = SeededRandom(seed: 120)
        let messages = (0..<40).map { _ in random.bytes(count: 16_000) }
        for message in messages { try link.a.send(message) }
        link.run(for: .seconds(2)) { _ in false }
        #expect(link.a.pathQuality.unacknowledgedBytes > 0, "the sender must be blocked before the reader resumes")
        // Drop the next datagram from B to A (receiver's channel ID 1 at bytes 9..<17): the first window update.
        let dropped = LockedValue(0)
        link.tap = { _, datagram in
            let toA = datagram.count > 17 && datagram[9..<17].elementsEqual([0, 0, 0, 0, 0, 0, 0, 1])
            guard toA, dropped.withLock({ $0 }) == 0 else { return datagram }
            dropped.withLock { $0 += 1 }
            return nil
        }
        link.bReads = true
        #expect(link.run(for: .seconds(3)) { $0.receivedByB.count == messages.count })
        #expect(dropped.withLock { $0 } == 1)
        #expect(digest(link.receivedByB) == digest(messages))
    }
}
