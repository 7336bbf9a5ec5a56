import MeshCore

extension DirectChannel {
    /// The next datagram to send now, or nil. Call until nil after every input.
    public mutating func pollTransmit(now: Timestamp) -> [UInt8]? {
        if let close = pendingClose, !closeSent {
            closeSent = true
            let datagram = seal([.close(code: close.code, reason: close.reason)], streamRanges: [], now: now)
            finish(.local(code: close.code, reason: close.reason))
            return datagram
        }
        guard !isClosed else { return nil }

        var frames: [PacketFrame] = []
        var used = 0
        var carriesWindowUpdate = false
        let windowUpdateDue =
            windowUpdatePending || receiveStream.limit >= advertisedLimit + UInt64(configuration.receiveWindow / 4)
        let ackDue =
            received.needsAck
            && (received.wantsImmediateAck
                || (received.firstUnackedAt.map { now >= $0 + configuration.maxAckDelay } ?? false))
        if ackDue || windowUpdateDue, let ack = received.makeAck(now: now, maxStreamOffset: receiveStream.limit) {
            frames.append(.ack(ack))
            used += 22 + 16 * ack.ranges.count
            advertisedLimit = receiveStream.limit
            if windowUpdateDue {
                // A window update must arrive: a sender blocked on flow control has nothing in flight, so nothing
                // would reveal the loss of an ACK-only update and it would wait for the next keepalive (15 s). A PING
                // makes the packet ack-eliciting, and its loss re-arms the update (QUIC resends MAX_DATA the same way).
                frames.append(.ping)
                used += 1
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
                frames.append(.ping)
                let padding = configuration.probeDatagramSize - PacketProtection.overhead - used - 1
                if padding > 0 { frames.append(.padding(padding)) }
                isMTUProbe = true
            } else if !sendStream.hasDataToSend(peerLimit: peerStreamLimit) {
                // Window to spare and nothing to send: rate samples from now on measure us, not the path.
                congestion.onApplicationLimited()
            } else {
                let room = datagramSize - PacketProtection.overhead - used - 11
                if let chunk = sendStream.nextChunk(maximumLength: room, peerLimit: peerStreamLimit) {
                    frames.append(.stream(offset: chunk.offset, data: chunk.data))
                    streamRanges.append(chunk.offset..<(chunk.offset + UInt64(chunk.data.count)))
                }
            }
            if pendingPing && !frames.contains(where: \.isAckEliciting) {
                frames.append(.ping)
            }
            if frames.contains(where: \.isAckEliciting) { pendingPing = false }
        }
        // A probe with nothing to carry is not owed: the budget only lifts the window for real data or a PING.
        if !frames.contains(where: \.isAckEliciting) { probeBudget = 0 }
        guard !frames.isEmpty else { return nil }
        let datagram = seal(
            frames,
            streamRanges: streamRanges,
            isMTUProbe: isMTUProbe,
            carriesWindowUpdate: carriesWindowUpdate,
            now: now
        )
        if isMTUProbe, nextPacketNumber > 0 { mtuProbe = .inFlight(packetNumber: nextPacketNumber - 1) }
        if mayProbe && frames.contains(where: \.isAckEliciting) { probeBudget -= 1 }
        return datagram
    }

    private mutating func seal(
        _ frames: [PacketFrame],
        streamRanges: [Range<UInt64>],
        isMTUProbe: Bool = false,
        carriesWindowUpdate: Bool = false,
        now: Timestamp
    ) -> [UInt8] {
        var writer = WireWriter(capacity: datagramSize)
        for frame in frames { frame.encode(to: &writer) }
        let packetNumber = nextPacketNumber
        nextPacketNumber += 1
        // Sealing cannot fail: the keys were checked when the channel was made.
        let datagram = try! protection.seal(
            channelID: remoteChannelID,
            packetNumber: packetNumber,
            plaintext: writer.bytes
        )
        let ackEliciting = frames.contains(where: \.isAckEliciting)
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
        return datagram
    }
}
