import MeshCore
import Testing

@testable import DirectPath

/// The receive side's bounds in count, not only bytes (decision 0096): out-of-order pieces are merged and capped, a
/// refused chunk is recovered by retransmission, and the replay history is long enough for late genuine packets.
@Suite struct ReassemblyLimitTests {
    /// One message: a 4-byte big-endian length prefix and the payload, as the stream carries it.
    static func record(_ payload: [UInt8]) -> [UInt8] {
        let n = UInt32(payload.count)
        return [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)] + payload
    }

    @Test func touchingChunksAfterAHoleBecomeOnePiece() throws {
        var random = SeededRandom(seed: 96)
        let payload = random.bytes(count: 5_000)
        let bytes = Self.record(payload)
        var stream = ReceiveStream(window: 65_536, maximumMessage: 10_000, maximumPendingRanges: 4)
        // Everything but the first byte, one byte at a time and in order: 5,003 chunks, one piece.
        for offset in 1..<bytes.count {
            #expect(try stream.receive(offset: UInt64(offset), data: [bytes[offset]]))
        }
        #expect(stream.pendingRanges == 1)
        #expect(stream.bufferedBytes == bytes.count - 1)
        #expect(try stream.nextMessage() == nil)
        #expect(try stream.receive(offset: 0, data: [bytes[0]]))
        #expect(stream.pendingRanges == 0)
        #expect(try stream.nextMessage() == payload)
        #expect(stream.refusedChunks == 0)
    }

    @Test func separatePiecesAreCappedAndTheRefusedOnesCanComeAgain() throws {
        var random = SeededRandom(seed: 97)
        let payload = random.bytes(count: 6_000)
        let bytes = Self.record(payload)
        var stream = ReceiveStream(window: 65_536, maximumMessage: 10_000)
        let cap = ReceiveStream.defaultMaximumPendingRanges
        // A hostile slicing: 1-byte chunks with a hole before each, 3,000 of them.
        var refused: [Int] = []
        for index in 0..<3_000 {
            let offset = 2 * index + 1
            if try !stream.receive(offset: UInt64(offset), data: [bytes[offset]]) { refused.append(offset) }
        }
        #expect(stream.pendingRanges == cap)
        #expect(refused.count == 3_000 - cap)
        #expect(stream.refusedChunks == 3_000 - cap)
        #expect(stream.bufferedBytes == cap)
        // A chunk that touches a piece held is still taken (it opens no new piece), and joins two into one.
        #expect(try stream.receive(offset: 2, data: [bytes[2]]))
        #expect(stream.pendingRanges == cap - 1)
        // Retransmission: every byte again, in order. All of it lands and the message is whole.
        for offset in 0..<bytes.count {
            #expect(try stream.receive(offset: UInt64(offset), data: [bytes[offset]]))
        }
        #expect(stream.pendingRanges == 0)
        #expect(try stream.nextMessage() == payload)
    }

    @Test func overlappingRetransmissionsMergeWithoutDuplicatingBytes() throws {
        var random = SeededRandom(seed: 98)
        let payload = random.bytes(count: 900)
        let bytes = Self.record(payload)
        var stream = ReceiveStream(window: 65_536, maximumMessage: 10_000, maximumPendingRanges: 3)
        func give(_ range: Range<Int>) throws -> Bool {
            try stream.receive(offset: UInt64(range.lowerBound), data: Array(bytes[range]))
        }
        #expect(try give(100..<200))
        #expect(try give(300..<400))
        #expect(try give(500..<600))
        #expect(try !give(700..<800))  // a fourth separate piece
        #expect(try give(150..<550))  // overlaps three pieces: one piece 100..<600
        #expect(stream.pendingRanges == 1)
        #expect(stream.bufferedBytes == 500)
        #expect(try give(700..<800))
        #expect(try give(0..<120))  // reaches the piece: 0..<600 delivered
        #expect(stream.pendingRanges == 1)
        #expect(try give(590..<bytes.count))
        #expect(stream.pendingRanges == 0)
        #expect(try stream.nextMessage() == payload)
    }

    /// Random slicing, overlaps and retransmissions against the simple truth (the bytes themselves): the cap and the
    /// window hold after every chunk, and the message comes out whole exactly once.
    @Test(arguments: [UInt64(1), 2, 3, 4, 5, 6, 7, 8])
    func randomSlicingNeverBreaksTheBounds(seed: UInt64) throws {
        var random = SeededRandom(seed: 9_600 + seed)
        let payload = random.bytes(count: 30_000)
        let bytes = Self.record(payload)
        let cap = Int(seed % 4) + 1
        var stream = ReceiveStream(window: 65_536, maximumMessage: 40_000, maximumPendingRanges: cap)
        var steps = 0
        while stream.contiguousOffset < UInt64(bytes.count) && steps < 100_000 {
            steps += 1
            // Mostly anywhere, now and then the head (what a retransmission of the oldest loss does).
            let start =
                steps % 7 == 0
                ? Int(stream.contiguousOffset) : Int.random(in: 0..<bytes.count, using: &random)
            let length = Int.random(in: 1...600, using: &random)
            let end = min(start + length, bytes.count)
            _ = try stream.receive(offset: UInt64(start), data: bytes[start..<end])
            #expect(stream.pendingRanges <= cap)
            #expect(stream.bufferedBytes <= 65_536)
        }
        #expect(stream.contiguousOffset == UInt64(bytes.count))
        #expect(try stream.nextMessage() == payload)
        #expect(try stream.nextMessage() == nil)
        #expect(stream.pendingRanges == 0)
    }

    @Test func aChannelWithATinyCapStillDeliversEverythingUnderLoss() throws {
        var link = try SimulatedLink(
            conditions: .init(latency: .milliseconds(20), jitter: .milliseconds(15), loss: 0.1),
            seed: 99
        )
        link.b.receiveStream = ReceiveStream(
            window: link.b.configuration.receiveWindow,
            maximumMessage: link.b.configuration.maximumMessage,
            maximumPendingRanges: 2
        )
        let messages = ReliabilityTests.messages(count: 200, seed: 990, largeEvery: 40)
        for message in messages { try link.a.send(message) }
        #expect(link.run { $0.receivedByB.count >= messages.count })
        #expect(digest(link.receivedByB) == digest(messages))
        #expect(link.b.receiveStream.refusedChunks > 0)
        #expect(link.b.receiveStream.pendingRanges <= 2)
    }

    @Test func aLatePacketBeyondOneAckFrameIsStillAcceptedAndATrueReplayIsNot() throws {
        var tracker = ReceivedPacketTracker()
        let now = Timestamp(secondsSinceEpoch: 1)
        // Every other packet arrives: 500 gaps, far more than the 32 ranges one ACK frame carries.
        for number in stride(from: UInt64(0), to: 1_000, by: 2) { tracker.record(number, ackEliciting: true, now: now) }
        #expect(!tracker.isDuplicate(1))  // late, genuine: 999 numbers behind the largest
        #expect(tracker.isDuplicate(0) && tracker.isDuplicate(998))  // seen: replays
        let made = tracker.makeAck(now: now, maxStreamOffset: 0)
        let ack = try #require(made)
        #expect(ack.ranges.count == ReceivedPacketTracker.maximumAckRanges)
        #expect(ack.ranges.first == 998..<999)
        // History is bounded: beyond 1,024 gaps the oldest are forgotten, and what is older counts as a replay.
        for number in stride(from: UInt64(1_000), to: 4_000, by: 2) {
            tracker.record(number, ackEliciting: true, now: now)
        }
        #expect(tracker.isDuplicate(1))
        #expect(!tracker.isDuplicate(3_999 - 2 * 1_000))
    }

    /// Datagrams a tap held back from B (a class: the tap is a stored closure).
    final class HeldBack {
        var datagrams: [[UInt8]] = []
        var seen = 0
    }

    @Test func aChannelAcceptsALateGenuinePacketAndRefusesItsReplay() throws {
        var link = try SimulatedLink(conditions: .init(latency: .milliseconds(10), jitter: .zero), seed: 100)
        let held = HeldBack()
        // Every other datagram to B (channel ID 2, the header's last byte) is held back: over a hundred gaps in B's
        // packet history, more than the 32 ranges an ACK frame carries (the old history length).
        link.tap = { _, datagram in
            guard datagram.count > 16, datagram[16] == 2 else { return datagram }
            held.seen += 1
            guard held.seen % 2 == 0 else { return datagram }
            held.datagrams.append(datagram)
            return nil
        }
        let messages = ReliabilityTests.messages(count: 100, seed: 1_000)
        for message in messages { try link.a.send(message) }
        #expect(link.run { $0.receivedByB.count >= messages.count })
        #expect(digest(link.receivedByB) == digest(messages))
        #expect(held.datagrams.count > 64)
        // The first one held back arrives now, long after its data was retransmitted: a late but genuine packet.
        let late = held.datagrams[0]
        guard case .accepted(_, let isNewest) = link.b.handleDatagram(late, now: link.now) else {
            Issue.record("a late genuine packet was refused")
            return
        }
        #expect(!isNewest)
        #expect(link.b.handleDatagram(late, now: link.now) == .dropped(.replayed))
        #expect(link.b.statistics.droppedReplayed == 1)
        #expect(link.b.pollEvent() == nil)  // its data was delivered once already
    }
}
