import MeshCore
import Testing

@testable import DirectPath

/// Exact-output tests of the pieces the channel is made of.
@Suite struct ComponentTests {
    @Test func rangeSetMergesSplitsAndFindsGaps() {
        var set = RangeSet()
        set.insert(10..<20)
        set.insert(30..<40)
        set.insert(20..<25)
        #expect(set.ranges == [10..<25, 30..<40])
        #expect(set.gaps(in: 0..<50) == [0..<10, 25..<30, 40..<50])
        set.remove(12..<14)
        #expect(set.ranges == [10..<12, 14..<25, 30..<40])
        #expect(set.contains(14..<25) && !set.contains(11..<15))
        set.removeAll(below: 20)
        #expect(set.ranges == [20..<25, 30..<40])
        set.keepNewest(1)
        #expect(set.ranges == [30..<40])
    }

    @Test func ackFramesRoundTripAndRejectNonsense() throws {
        let ack = AckFrame(largest: 9, delayMicroseconds: 5, ranges: [7..<10, 2..<5], maxStreamOffset: 4_096)
        var writer = WireWriter()
        PacketFrame.ack(ack).encode(to: &writer)
        PacketFrame.stream(offset: 3, data: [1, 2]).encode(to: &writer)
        PacketFrame.ping.encode(to: &writer)
        #expect(try PacketFrame.decodeAll(writer.bytes) == [.ack(ack), .stream(offset: 3, data: [1, 2]), .ping])
        // Ranges out of order, empty, or above `largest` are malformed.
        let malformed: [[Range<UInt64>]] = [[2..<5, 7..<10], [5..<5], [7..<12]]
        for bad in malformed {
            var badWriter = WireWriter()
            PacketFrame.ack(AckFrame(largest: 9, delayMicroseconds: 0, ranges: bad, maxStreamOffset: 0))
                .encode(to: &badWriter)
            #expect(throws: WireError.self) { try PacketFrame.decodeAll(badWriter.bytes) }
        }
        #expect(throws: WireError.self) { try PacketFrame.decodeAll([0x09]) }
    }

    @Test func receiveStreamNeverBuffersBeyondItsWindow() throws {
        var stream = ReceiveStream(window: 100, maximumMessage: 50)
        // Overlapping and out-of-window chunks: only the gaps inside the window are kept.
        _ = try stream.receive(offset: 10, data: [UInt8](repeating: 1, count: 200))
        #expect(stream.bufferedBytes == 90)
        #expect(stream.droppedBeyondWindow == 110)
        _ = try stream.receive(offset: 5, data: [UInt8](repeating: 1, count: 50))
        #expect(stream.bufferedBytes == 95)
        // A length prefix over the message limit is a protocol error.
        var hostile = ReceiveStream(window: 100, maximumMessage: 50)
        #expect(throws: ReceiveStream.Failure.messageTooLarge(51)) {
            try hostile.receive(offset: 0, data: [0, 0, 0, 51])
        }
    }

    @Test func probeTimeoutHasNoTCPFloor() {
        var estimator = RTTEstimator()
        estimator.addSample(.microseconds(100), ackDelay: .zero)
        // 100 µs + max(4 × 50 µs, 250 µs timer granularity) + 2 ms of allowed ack delay (RFC 9002 §6.2.1).
        #expect(estimator.probeTimeout(maxAckDelay: .milliseconds(2)) == .microseconds(2_350))
    }

    /// A late ACK for bytes already released (original and retransmission both acknowledged) once wedged the send
    /// buffer for good: a range below the released prefix blocked every later release (decision 0055).
    @Test func lateAcknowledgementsBelowTheReleasedPrefixAreIgnored() {
        var stream = SendStream(bufferLimit: 1_000)
        let queued = stream.enqueue([UInt8](repeating: 1, count: 96))
        #expect(queued)
        let chunk = stream.nextChunk(maximumLength: 100, peerLimit: 1_000)
        #expect(chunk?.data.count == 100)
        stream.onAcknowledged(0..<50)
        stream.onAcknowledged(20..<40)
        stream.onAcknowledged(45..<60)
        stream.onAcknowledged(60..<100)
        #expect(stream.isFullyAcknowledged)
        #expect(stream.unacknowledgedBytes == 0)
    }

}
