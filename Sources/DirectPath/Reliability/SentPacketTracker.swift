import MeshCore

/// Packets in flight, and the RFC 9002 rules that turn acknowledgements and silence into "acked" and "lost".
struct SentPacketTracker: Sendable {
    struct SentPacket: Sendable {
        var packetNumber: UInt64
        var sentAt: Timestamp
        var size: Int
        var isAckEliciting: Bool
        var streamRanges: [Range<UInt64>]
        /// An MTU probe: its loss says "too big", not "congested".
        var isMTUProbe: Bool
    }

    struct AckOutcome: Sendable {
        var acked: [SentPacket] = []
        var lost: [SentPacket] = []
        var rttSample: Duration?
    }

    /// In packet-number order (packet numbers only grow).
    private(set) var inFlight: [SentPacket] = []
    private(set) var largestAcked: UInt64?
    private(set) var lastAckElicitingSentAt: Timestamp?

    /// Acknowledgement-reordering threshold (RFC 9002 kPacketThreshold).
    static let packetThreshold: UInt64 = 3

    var hasAckElicitingInFlight: Bool { inFlight.contains { $0.isAckEliciting } }

    mutating func record(_ packet: SentPacket) {
        inFlight.append(packet)
        if packet.isAckEliciting { lastAckElicitingSentAt = packet.sentAt }
    }

    mutating func onAck(_ ack: AckFrame, now: Timestamp, lossDelay: Duration) -> AckOutcome {
        var outcome = AckOutcome()
        var remaining: [SentPacket] = []
        remaining.reserveCapacity(inFlight.count)
        var newlyAckedLargest: SentPacket?
        for packet in inFlight {
            if ack.ranges.contains(where: { $0.contains(packet.packetNumber) }) {
                outcome.acked.append(packet)
                if packet.packetNumber == ack.largest { newlyAckedLargest = packet }
            } else {
                remaining.append(packet)
            }
        }
        inFlight = remaining
        guard !outcome.acked.isEmpty else { return outcome }
        largestAcked = max(largestAcked ?? 0, ack.largest)
        if let newlyAckedLargest, outcome.acked.contains(where: { $0.isAckEliciting }) {
            outcome.rttSample = now - newlyAckedLargest.sentAt
        }
        outcome.lost = detectLost(now: now, lossDelay: lossDelay)
        return outcome
    }

    /// Packets below the largest acknowledged that are too old or too far behind to still be in flight.
    mutating func detectLost(now: Timestamp, lossDelay: Duration) -> [SentPacket] {
        guard let largestAcked else { return [] }
        var lost: [SentPacket] = []
        inFlight.removeAll { packet in
            guard packet.packetNumber < largestAcked else { return false }
            let isLost =
                largestAcked - packet.packetNumber >= SentPacketTracker.packetThreshold
                || packet.sentAt + lossDelay <= now
            if isLost { lost.append(packet) }
            return isLost
        }
        return lost
    }

    /// When the earliest unacknowledged packet below the largest acknowledged will count as lost.
    func lossTime(lossDelay: Duration) -> Timestamp? {
        guard let largestAcked else { return nil }
        return inFlight.first { $0.packetNumber < largestAcked }.map { $0.sentAt + lossDelay }
    }

    /// Stream ranges of every ack-eliciting packet in flight, oldest first (what a probe retransmits).
    var outstandingStreamRanges: [Range<UInt64>] {
        inFlight.flatMap(\.streamRanges)
    }
}
