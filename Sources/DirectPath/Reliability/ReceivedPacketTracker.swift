import MeshCore

/// Which packet numbers arrived: builds ACK frames and rejects replays, in bounded memory.
struct ReceivedPacketTracker: Sendable {
    private var received = RangeSet()
    /// Packets below this number are treated as replays. It rises when old history is forgotten.
    private(set) var floor: UInt64 = 0
    private(set) var largest: UInt64?
    private(set) var largestReceivedAt: Timestamp?
    private(set) var ackElicitingSinceAck = 0
    private(set) var firstUnackedAt: Timestamp?
    private(set) var sawReordering = false

    /// History kept for ACKs and replay checks; beyond it the oldest ranges are forgotten and the floor rises.
    static let maximumRanges = PacketFrame.maximumAckRanges

    func isDuplicate(_ packetNumber: UInt64) -> Bool {
        packetNumber < floor || received.contains(packetNumber)
    }

    var needsAck: Bool { ackElicitingSinceAck > 0 }

    mutating func record(_ packetNumber: UInt64, ackEliciting: Bool, now: Timestamp) {
        if let largest, packetNumber < largest || packetNumber > largest + 1 { sawReordering = true }
        received.insert(packetNumber)
        if received.count > ReceivedPacketTracker.maximumRanges {
            received.keepNewest(ReceivedPacketTracker.maximumRanges)
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

    /// Send an ACK now (every second ack-eliciting packet, or at once after reordering), else at the timer.
    var wantsImmediateAck: Bool {
        ackElicitingSinceAck >= ReceivedPacketTracker.ackEveryPackets || (ackElicitingSinceAck > 0 && sawReordering)
    }

    static let ackEveryPackets = 1

    mutating func makeAck(now: Timestamp, maxStreamOffset: UInt64) -> AckFrame? {
        guard let largest else { return nil }
        let delay = largestReceivedAt.map { now - $0 } ?? .zero
        let micros = UInt32(clamping: max(delay.nanoseconds / 1_000, 0))
        ackElicitingSinceAck = 0
        firstUnackedAt = nil
        sawReordering = false
        return AckFrame(
            largest: largest,
            delayMicroseconds: micros,
            ranges: Array(received.ranges.reversed()),
            maxStreamOffset: maxStreamOffset
        )
    }
}
