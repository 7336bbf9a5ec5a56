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
        /// Its ACK frame raised the flow-control limit we advertise: if it is lost, the update must be resent.
        var carriesWindowUpdate = false
        /// What delivery looked like when it left (in-flight packets only): its ACK becomes a rate sample.
        var delivery: DeliverySnapshot?
    }

    struct AckOutcome: Sendable {
        var acked: [SentPacket] = []
        var lost: [SentPacket] = []
        var rttSample: Duration?
    }

    /// In packet-number order (packet numbers only grow), so every lookup is a binary search.
    private(set) var inFlight: [SentPacket] = []
    private(set) var largestAcked: UInt64?
    private(set) var lastAckElicitingSentAt: Timestamp?
    private var ackElicitingCount = 0

    /// Acknowledgement-reordering threshold (RFC 9002 kPacketThreshold).
    static let packetThreshold: UInt64 = 3

    var hasAckElicitingInFlight: Bool { ackElicitingCount > 0 }

    mutating func record(_ packet: SentPacket) {
        inFlight.append(packet)
        if packet.isAckEliciting {
            lastAckElicitingSentAt = packet.sentAt
            ackElicitingCount += 1
        }
    }

    /// The first index whose packet number is at least `packetNumber`.
    private func index(of packetNumber: UInt64) -> Int {
        var low = 0
        var high = inFlight.count
        while low < high {
            let mid = (low + high) / 2
            if inFlight[mid].packetNumber < packetNumber { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// Takes the packets in `spans` (sorted, disjoint index ranges) out of flight, keeping the rest in order: one
    /// pass over the array whatever the number of spans (an ACK with 32 ranges over a 3,000-packet flight used to
    /// shift the array 32 times).
    private mutating func remove(_ spans: [Range<Int>]) -> [SentPacket] {
        guard let first = spans.first else { return [] }
        var taken: [SentPacket] = []
        taken.reserveCapacity(spans.reduce(0) { $0 + $1.count })
        for span in spans { taken.append(contentsOf: inFlight[span]) }
        if spans.count == 1 && first.lowerBound == 0 {
            inFlight.removeFirst(first.count)
        } else {
            var write = first.lowerBound
            for (index, span) in spans.enumerated() {
                let keepEnd = index + 1 < spans.count ? spans[index + 1].lowerBound : inFlight.count
                for read in span.upperBound..<keepEnd {
                    inFlight.swapAt(write, read)
                    write += 1
                }
            }
            inFlight.removeLast(inFlight.count - write)
        }
        ackElicitingCount -= taken.reduce(0) { $0 + ($1.isAckEliciting ? 1 : 0) }
        return taken
    }

    mutating func onAck(_ ack: AckFrame, now: Timestamp, lossDelay: Duration) -> AckOutcome {
        var outcome = AckOutcome()
        // ACK ranges arrive newest first; collect the matching spans oldest first.
        var spans: [Range<Int>] = []
        for range in ack.ranges.reversed() {
            let span = index(of: range.lowerBound)..<index(of: range.upperBound)
            if !span.isEmpty { spans.append(span) }
        }
        outcome.acked = remove(spans)
        guard !outcome.acked.isEmpty else { return outcome }
        largestAcked = max(largestAcked ?? 0, ack.largest)
        if let newest = outcome.acked.last, newest.packetNumber == ack.largest,
            outcome.acked.contains(where: { $0.isAckEliciting })
        {
            outcome.rttSample = now - newest.sentAt
        }
        outcome.lost = detectLost(now: now, lossDelay: lossDelay)
        return outcome
    }

    /// Packets below the largest acknowledged that are too old or too far behind to still be in flight.
    /// Only the prefix below the largest acknowledged can qualify, and it is short.
    mutating func detectLost(now: Timestamp, lossDelay: Duration) -> [SentPacket] {
        guard let largestAcked else { return [] }
        let candidates = index(of: largestAcked)
        var spans: [Range<Int>] = []
        for position in 0..<candidates {
            let packet = inFlight[position]
            let isLost =
                largestAcked - packet.packetNumber >= SentPacketTracker.packetThreshold
                || packet.sentAt + lossDelay <= now
            if isLost {
                if let last = spans.last, last.upperBound == position {
                    spans[spans.count - 1] = last.lowerBound..<(position + 1)
                } else {
                    spans.append(position..<(position + 1))
                }
            }
        }
        return remove(spans)
    }

    /// When the earliest unacknowledged packet below the largest acknowledged will count as lost.
    func lossTime(lossDelay: Duration) -> Timestamp? {
        guard let largestAcked else { return nil }
        // Sorted by packet number: only the oldest packet can be the earliest candidate.
        guard let oldest = inFlight.first, oldest.packetNumber < largestAcked else { return nil }
        return oldest.sentAt + lossDelay
    }

    var hasWindowUpdateInFlight: Bool { inFlight.contains { $0.carriesWindowUpdate } }

    /// Stream ranges of the oldest `packets` packets in flight that carry data (what a probe retransmits).
    func oldestStreamRanges(packets: Int) -> [Range<UInt64>] {
        var ranges: [Range<UInt64>] = []
        var found = 0
        for packet in inFlight where !packet.streamRanges.isEmpty {
            ranges += packet.streamRanges
            found += 1
            if found == packets { break }
        }
        return ranges
    }
}
