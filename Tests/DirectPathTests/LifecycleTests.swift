import DirectPath
import MeshCore
import Testing

/// Keepalives, idle timeout and close, driven by the virtual clock.
@Suite struct LifecycleTests {
    @Test func idleChannelSendsKeepalivesThatHoldItOpen() throws {
        var link = try SimulatedLink(seed: 20)
        try link.a.send([1])
        #expect(link.run { $0.receivedByB.count == 1 })
        let start = link.now
        let sentBefore = link.a.statistics.datagramsSent
        // Two minutes of silence from the application: both sides keep pinging, neither times out.
        link.run(for: .seconds(120)) { _ in false }
        #expect(!link.a.isClosed && !link.b.isClosed)
        #expect(
            link.stepsUsed < 1_000,
            "\(link.stepsUsed) steps, \(String(describing: link.a.pollTimeout())) \(link.now)"
        )
        let keepalives = link.a.statistics.datagramsSent - sentBefore
        #expect(keepalives >= 120 / 15 - 1 && keepalives <= 120 / 15 * 3, "\(keepalives) datagrams")
        #expect(link.now >= start + .seconds(120))
    }

    @Test func silentPeerTimesOut() throws {
        var link = try SimulatedLink(conditions: .init(loss: 1.0), seed: 21)
        let start = link.now
        link.run(for: .seconds(100)) { $0.a.isClosed }
        #expect(link.a.closeReason == .idleTimeout)
        #expect(link.eventsA.last == .closed(.idleTimeout))
        #expect(link.now >= start + ChannelConfiguration().idleTimeout)
    }

    /// Data nobody acknowledges closes the channel after `unresponsiveTimeout`, not the idle timeout: the node then
    /// falls back to the relay (the network lab's on-path attacker rewriting every datagram held messages 30 s).
    @Test func unacknowledgedDataClosesAnUnresponsivePathEarly() throws {
        var link = try SimulatedLink(seed: 24)
        try link.a.send([1])
        #expect(link.run { $0.receivedByB.count == 1 })
        link.conditions.loss = 1.0
        let sentAt = link.now
        try link.a.send([2, 3, 4])
        link.run(for: .seconds(100)) { $0.a.isClosed }
        #expect(link.a.closeReason == .unresponsive)
        let timeout = ChannelConfiguration().unresponsiveTimeout
        #expect(link.now >= sentAt + timeout && link.now < sentAt + timeout + .seconds(1), "\(link.now)")
    }

    /// The clock starts when the data leaves, not at the last packet received: a send after a quiet spell longer
    /// than the timeout must not close a healthy channel.
    @Test func aSendAfterAQuietSpellIsNotUnresponsive() throws {
        var link = try SimulatedLink(seed: 25)
        try link.a.send([1])
        #expect(link.run { $0.receivedByB.count == 1 })
        link.run(for: .seconds(14)) { _ in false }
        try link.a.send([2])
        #expect(link.run { $0.receivedByB.count == 2 })
        link.run(for: .seconds(20)) { $0.a.isClosed }
        #expect(!link.a.isClosed && !link.b.isClosed)
    }

    @Test func closeReachesThePeer() throws {
        var link = try SimulatedLink(seed: 22)
        try link.a.send([9])
        #expect(link.run { $0.receivedByB.count == 1 })
        link.a.close(code: 7, reason: "done", now: link.now)
        #expect(link.run { $0.b.isClosed })
        #expect(link.b.closeReason == .peer(code: 7, reason: "done"))
        #expect(link.a.closeReason == .local(code: 7, reason: "done"))
        #expect(throws: ChannelSendError.closed) { try link.a.send([1]) }
    }
}
