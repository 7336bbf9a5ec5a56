import MeshCore

/// Which packet numbers arrived: builds ACK frames and rejects replays, in bounded memory.
///
/// The replay history is longer than what one ACK frame carries. It used to be the same 32 ranges, and every lost
/// packet opens a range, so after 32 losses the floor rose past packets still on their way: under loss with
/// reordering a genuine packet a few dozen numbers late was dropped as a replay (and its data waited for a
/// retransmission). Now 1,024 ranges are kept (16 KiB): a packet is refused as a replay only if it was seen, or if
/// it is older than the 1,024th most recent gap, far beyond any reordering a real path produces (decision 0096).
struct ReceivedPacketTracker: Sendable {
    private var received = RangeSet()
    /// Packets below this number are treated as replays. It rises when old history is forgotten.
    private(set) var floor: UInt64 = 0
    private(set) var largest: UInt64?
    private(set) var largestReceivedAt: Timestamp?
    private(set) var ackElicitingSinceAck = 0
    private(set) var firstUnackedAt: Timestamp?
    private(set) var sawReordering = false

    /// History kept for replay checks; beyond it the oldest ranges are forgotten and the floor rises.
    static let maximumHistoryRanges = 1_024
    /// An ACK frame carries the newest ranges only.
    static let maximumAckRanges = PacketFrame.maximumAckRanges

    func isDuplicate(_ packetNumber: UInt64) -> Bool {
        packetNumber < floor || received.contains(packetNumber)
    }

    var needsAck: Bool { ackElicitingSinceAck > 0 }

    mutating func record(_ packetNumber: UInt64, ackEliciting: Bool, now: Timestamp) {
        if let largest, packetNumber < largest || packetNumber > largest + 1 { sawReordering = true }
        received.insert(packetNumber)
        if received.count > ReceivedPacketTracker.maximumHistoryRanges {
            received.keepNewest(ReceivedPacketTracker.maximumHistoryRanges)
            floor = received.first?.lowerBound ?? floor
        }
        if packetNumber >= (largest ?? 0) {
            largest = packetNumber
            largestReceivedAt = now
        }
        if ackEliciting {
            ackElicitingSinceAck += 1
            if firstUnackedAt == nil { firstUnackedAt = now }
        }
    }

    /// Un-records a packet whose data the receiver refused (`ReceiveStream.receive` returned false): it is left out
    /// of every ACK, so the sender declares it lost and sends its data again. A replay of it is processed again,
    /// which is harmless: the stream keeps only bytes it does not have.
    mutating func forget(_ packetNumber: UInt64) {
        received.remove(packetNumber..<(packetNumber &+ 1))
    }

    /// Send an ACK now (every second ack-eliciting packet, or at once after reordering), else at the timer.
    var wantsImmediateAck: Bool {
        ackElicitingSinceAck >= ReceivedPacketTracker.ackEveryPackets || (ackElicitingSinceAck > 0 && sawReordering)
    }

    static let ackEveryPackets = 1

    mutating func makeAck(now: Timestamp, maxStreamOffset: UInt64) -> AckFrame? {
        guard let largest else { return nil }
        ackElicitingSinceAck = 0
        firstUnackedAt = nil
        sawReordering = false
        // Nothing to acknowledge when the only packets seen were refused (`forget`): an ACK needs a range, and the
        // counters are reset all the same so the ACK timer does not fire again at once.
        guard !received.isEmpty else { return nil }
        let delay = largestReceivedAt.map { now - $0 } ?? .zero
        let micros = UInt32(clamping: max(delay.nanoseconds / 1_000, 0))
        return AckFrame(
            largest: largest,
            delayMicroseconds: micros,
            ranges: Array(received.ranges.suffix(ReceivedPacketTracker.maximumAckRanges).reversed()),
            maxStreamOffset: maxStreamOffset
        )
    }
}
