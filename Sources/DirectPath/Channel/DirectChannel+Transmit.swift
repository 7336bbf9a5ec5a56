import MeshCore

extension DirectChannel {
    /// The next datagram to send now, or nil. Call until nil after every input.
    ///
    /// Each datagram is built in one buffer: header room, then the frames, the STREAM chunk copied straight from
    /// the send buffer, then sealed in place (no frame list, no intermediate plaintext).
    public mutating func pollTransmit(now: Timestamp) -> [UInt8]? {
        if let close = pendingClose, !closeSent {
            closeSent = true
            var datagram = PacketProtection.startDatagram(maximumSize: datagramSize)
            PacketFrame.close(code: close.code, reason: close.reason).encode(into: &datagram)
            let sealed = seal(&datagram, ackEliciting: true, streamRanges: [], now: now)
            finish(.local(code: close.code, reason: close.reason))
            return sealed
        }
        guard !isClosed else { return nil }

        // Empty until the first frame: the final poll, with nothing to send, allocates nothing.
        var datagram: [UInt8] = []
        var ackEliciting = false
        var carriesWindowUpdate = false
        let windowUpdateDue =
            windowUpdatePending || receiveStream.limit >= advertisedLimit + UInt64(configuration.receiveWindow / 4)
        let ackDue =
            received.needsAck
            && (received.wantsImmediateAck
                || (received.firstUnackedAt.map { now >= $0 + configuration.maxAckDelay } ?? false))
        if !pendingPathResponses.isEmpty {
            // Outside the congestion window, like an ACK: the challenger waits on it to move the path.
            start(&datagram)
            for token in pendingPathResponses { PacketFrame.pathResponse(token).encode(into: &datagram) }
            pendingPathResponses.removeAll()
        }
        if ackDue || windowUpdateDue, let ack = received.makeAck(now: now, maxStreamOffset: receiveStream.limit) {
            start(&datagram)
            PacketFrame.ack(ack).encode(into: &datagram)
            advertisedLimit = receiveStream.limit
            if windowUpdateDue {
                // A window update must arrive: a sender blocked on flow control has nothing in flight, so nothing
                // would reveal the loss of an ACK-only update and it would wait for the next keepalive (15 s). A PING
                // makes the packet ack-eliciting, and its loss re-arms the update (QUIC resends MAX_DATA the same way).
                PacketFrame.ping.encode(into: &datagram)
                ackEliciting = true
                carriesWindowUpdate = true
                windowUpdatePending = false
            }
        }

        let mayProbe = probeBudget > 0
        let paced = congestion.pacingDelay(now: now) != nil && !mayProbe
        let windowOpen = mayProbe || congestion.canSend(bytes: datagramSize)
        var streamRanges: [Range<UInt64>] = []
        var isMTUProbe = false
        if !paced && windowOpen {
            if mtuProbe == .pending && lastReceivedAt > .zero && statistics.datagramsReceived > 0 {
                // A padded PING in a packet of its own, once the peer has shown it is there.
                start(&datagram)
                PacketFrame.ping.encode(into: &datagram)
                let padding = configuration.probeDatagramSize - PacketProtection.tagByteCount - datagram.count
                if padding > 0 { PacketFrame.padding(padding).encode(into: &datagram) }
                ackEliciting = true
                isMTUProbe = true
            } else if !sendStream.hasDataToSend(peerLimit: peerStreamLimit) {
                // Window to spare and nothing to send: rate samples from now on measure us, not the path.
                congestion.onApplicationLimited()
            } else {
                start(&datagram)
                let room =
                    datagramSize - PacketProtection.tagByteCount - datagram.count - PacketFrame.streamHeaderByteCount
                if let range = sendStream.writeChunk(maximumLength: room, peerLimit: peerStreamLimit, into: &datagram) {
                    streamRanges.append(range)
                    ackEliciting = true
                }
            }
            if pendingPing && !ackEliciting {
                start(&datagram)
                PacketFrame.ping.encode(into: &datagram)
                ackEliciting = true
            }
            if ackEliciting { pendingPing = false }
        }
        // A probe with nothing to carry is not owed: the budget only lifts the window for real data or a PING.
        if !ackEliciting { probeBudget = 0 }
        guard datagram.count > PacketProtection.headerByteCount else { return nil }
        let sealed = seal(
            &datagram,
            ackEliciting: ackEliciting,
            streamRanges: streamRanges,
            isMTUProbe: isMTUProbe,
            carriesWindowUpdate: carriesWindowUpdate,
            now: now
        )
        if isMTUProbe, nextPacketNumber > 0 { mtuProbe = .inFlight(packetNumber: nextPacketNumber - 1) }
        if mayProbe && ackEliciting { probeBudget -= 1 }
        return sealed
    }

    /// Gives an empty datagram its header room, sized for the largest datagram this channel sends.
    private func start(_ datagram: inout [UInt8]) {
        guard datagram.isEmpty else { return }
        datagram = PacketProtection.startDatagram(maximumSize: max(datagramSize, configuration.probeDatagramSize))
    }

    mutating func seal(
        _ datagram: inout [UInt8],
        ackEliciting: Bool,
        streamRanges: [Range<UInt64>],
        isMTUProbe: Bool = false,
        carriesWindowUpdate: Bool = false,
        now: Timestamp
    ) -> [UInt8] {
        let packetNumber = nextPacketNumber
        nextPacketNumber += 1
        // Sealing cannot fail: the keys were checked when the channel was made.
        try! protection.seal(&datagram, channelID: remoteChannelID, packetNumber: packetNumber)
        let delivery = congestion.onPacketSent(bytes: datagram.count, countsInFlight: ackEliciting, now: now)
        sent.record(
            .init(
                packetNumber: packetNumber,
                sentAt: now,
                size: datagram.count,
                isAckEliciting: ackEliciting,
                streamRanges: streamRanges,
                isMTUProbe: isMTUProbe,
                carriesWindowUpdate: carriesWindowUpdate,
                delivery: delivery
            )
        )
        statistics.datagramsSent += 1
        lastSentAt = now
        if outstandingSince == nil, !streamRanges.isEmpty { outstandingSince = now }
        return datagram
    }
}
