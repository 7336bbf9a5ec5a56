import DirectPath
import DirectPathDriver
import ICE
import ICEDriver
import MeshCore
import NIOPosix
import Synchronization
import Testing

/// Every datagram a `DirectTransport`'s channel refuses reaches its `dropped` callback with the reason, which is how
/// the node counts an on-path attacker's rewrites and replays in `/metrics`
/// (`meshpeer_direct_datagrams_dropped_total`; the network lab's on-path scenarios read it). Real sessions on
/// loopback sockets; the attacker's datagrams are sent on the peer's own selected pair, so only the channel's
/// authentication stands between them and the application.
@Suite struct DirectTransportDropTests {
    let loopback = IPAddress("127.0.0.1")!

    /// The reasons the callback was given, from any thread.
    final class Drops: Sendable {
        let reasons = Mutex<[ChannelDropReason]>([])
        func count(_ reason: ChannelDropReason) -> Int { reasons.withLock { $0.filter { $0 == reason }.count } }
    }

    @Test func forgedReplayedAndMalformedDatagramsAreRefusedAndReported() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let a = try await ICESession.start(role: .controlling, hostAddresses: [loopback], group: group)
        let b = try await ICESession.start(role: .controlled, hostAddresses: [loopback], group: group)
        try await b.setRemote(try await a.localDescription())
        try await a.setRemote(try await b.localDescription())
        _ = await TrickleTests.firstSelection(a.events)
        _ = await TrickleTests.firstSelection(b.events)
        var random = SeededRandom(seed: 41)
        let alice = Ed25519.PrivateKey(using: &random).publicKey
        let bob = Ed25519.PrivateKey(using: &random).publicKey
        let offer = random.bytes(count: 32)
        let answer = random.bytes(count: 32)
        func channel(initiator: Bool) throws -> DirectChannel {
            try ChannelSecret(offerShare: offer, answerShare: answer).openChannel(
                initiator: alice,
                responder: bob,
                context: [4, 1],
                cipher: .xchacha20Poly1305,
                isInitiator: initiator,
                localChannelID: initiator ? 10 : 20,
                remoteChannelID: initiator ? 20 : 10,
                now: SystemClock().now()
            )
        }
        let drops = Drops()
        let sender = DirectTransport(session: a, channel: try channel(initiator: true))
        let receiver = DirectTransport(session: b, channel: try channel(initiator: false)) { reason in
            drops.reasons.withLock { $0.append(reason) }
        }
        await sender.start()
        await receiver.start()
        try await sender.send([7, 7, 7])
        #expect(try await receiver.receive() == [7, 7, 7])
        #expect(drops.reasons.withLock { $0.isEmpty }, "genuine traffic is not reported")

        // The attacker's copy of the sender's keys stands for what it saw on the wire: the same channel, so its
        // datagrams are byte for byte what the sender sent (a replay) until it rewrites one.
        var wire = try channel(initiator: true)
        let now = SystemClock().now()
        var datagrams: [[UInt8]] = []
        for index in 0..<40 {
            try wire.send([UInt8(index), 1, 2, 3])
            while let datagram = wire.pollTransmit(now: now) { datagrams.append(datagram) }
        }
        #expect(datagrams.count >= 2)
        // Replayed: the first datagrams carry packet numbers the receiver has already taken from the sender.
        a.send(batch: [datagrams[0]])
        // Rewritten: the newest packet number, one ciphertext byte flipped.
        var rewritten = datagrams[datagrams.count - 1]
        rewritten[rewritten.count - 20] ^= 0x5A
        a.send(batch: [rewritten])
        // Garbage: too short to be a packet (and not STUN).
        a.send(batch: [[0x04, 0x01, 0xFF]])

        let deadline = ContinuousClock.now + .seconds(10)
        while drops.reasons.withLock({ $0.count }) < 3, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(drops.count(.replayed) == 1, "\(drops.reasons.withLock { $0 })")
        #expect(drops.count(.forged) == 1, "\(drops.reasons.withLock { $0 })")
        #expect(drops.count(.malformed) == 1, "\(drops.reasons.withLock { $0 })")
        let statistics = await receiver.statistics
        #expect(statistics.droppedReplayed == 1 && statistics.droppedForged == 1 && statistics.droppedMalformed == 1)

        // None of it reached the application, and the channel goes on.
        try await sender.send([9])
        #expect(try await receiver.receive() == [9])
        #expect(await receiver.closeReason == nil)
        await sender.close()
        await receiver.close()
        await a.close()
        await b.close()
        try await group.shutdownGracefully()
    }
}
