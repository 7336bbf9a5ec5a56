import DirectPath
import MeshCore
import Testing

/// Forged, replayed, truncated and misdirected datagrams are dropped and counted and never reach the application.
@Suite struct HostileInputTests {
    /// One datagram from A to B, captured.
    func capture() throws -> (link: SimulatedLink, datagram: [UInt8]) {
        var link = try SimulatedLink(seed: 30)
        try link.a.send(Array("hello".utf8))
        let transmitted = link.a.pollTransmit(now: link.now)
        let datagram = try #require(transmitted)
        return (link, datagram)
    }

    @Test func forgedDatagramsAreDropped() throws {
        var (link, datagram) = try capture()
        for index in [0, 3, 9, 20, 30, datagram.count - 1] {
            var forged = datagram
            forged[index] ^= 0x01
            let verdict = link.b.handleDatagram(forged, now: link.now)
            #expect(verdict != .accepted(packetNumber: 0, isNewest: true), "byte \(index)")
        }
        #expect(link.b.statistics.droppedForged >= 3)
        #expect(link.b.pollEvent() == nil)
        // The genuine datagram still works afterwards: the forgeries changed nothing.
        #expect(link.b.handleDatagram(datagram, now: link.now) == .accepted(packetNumber: 0, isNewest: true))
        #expect(link.b.pollEvent() == .message(Array("hello".utf8)))
    }

    @Test func replaysAreDropped() throws {
        var (link, datagram) = try capture()
        #expect(link.b.handleDatagram(datagram, now: link.now) == .accepted(packetNumber: 0, isNewest: true))
        #expect(link.b.handleDatagram(datagram, now: link.now) == .dropped(.replayed))
        #expect(link.b.statistics.droppedReplayed == 1)
        #expect(link.b.pollEvent() == .message(Array("hello".utf8)))
        #expect(link.b.pollEvent() == nil)
    }

    @Test func truncatedAndMisdirectedDatagramsAreDropped() throws {
        var (link, datagram) = try capture()
        for length in [0, 1, 9, 25, 40] {
            #expect(link.b.handleDatagram(Array(datagram.prefix(length)), now: link.now) == .dropped(.malformed))
        }
        // A's own datagram fed back to A carries B's channel ID.
        #expect(link.a.handleDatagram(datagram, now: link.now) == .dropped(.wrongChannel))
        #expect(link.b.statistics.droppedMalformed == 5)
        #expect(link.b.pollEvent() == nil)
    }

    @Test func keysAreBoundToTheSessionContext() throws {
        var random = SeededRandom(seed: 31)
        let alice = AgentIdentity.generate(using: &random)
        let bob = AgentIdentity.generate(using: &random)
        let secret = random.secureBytes(count: 32)
        let keys = try ChannelKeys(
            sessionSecret: secret,
            initiator: alice.publicKey,
            responder: bob.publicKey,
            context: [1]
        )
        let other = try ChannelKeys(
            sessionSecret: secret,
            initiator: alice.publicKey,
            responder: bob.publicKey,
            context: [2]
        )
        let now = Timestamp(secondsSinceEpoch: 1)
        var sender = DirectChannel(keys: keys, isInitiator: true, localChannelID: 1, remoteChannelID: 2, now: now)
        var receiver = DirectChannel(keys: other, isInitiator: false, localChannelID: 2, remoteChannelID: 1, now: now)
        try sender.send([1])
        let transmitted = sender.pollTransmit(now: now)
        let datagram = try #require(transmitted)
        #expect(receiver.handleDatagram(datagram, now: now) == .dropped(.forged))
        #expect(!keys.initiatorToResponder.constantTimeEquals(keys.responderToInitiator))
    }

    @Test func randomGarbageNeverTrapsOrDelivers() throws {
        var (link, datagram) = try capture()
        var random = SeededRandom(seed: 32)
        for _ in 0..<5_000 {
            var bytes = random.bytes(count: Int.random(in: 0...200, using: &random))
            if bytes.count > 25, Bool.random(using: &random) {
                bytes.replaceSubrange(0..<25, with: datagram.prefix(25))
            }
            _ = link.b.handleDatagram(bytes, now: link.now)
        }
        #expect(link.b.pollEvent() == nil)
        #expect(link.b.statistics.datagramsReceived == 0)
    }
}
