import MeshCore

extension DirectChannel {
    /// The largest datagram we read at all; anything bigger is malformed before any work is done.
    static let maximumDatagram = 65_507

    /// Authenticates and processes one received datagram. Forged, replayed and malformed datagrams are dropped and
    /// counted; none of them changes any state the application can observe. The datagram is decrypted in place: a
    /// caller that hands over its only reference spares a copy.
    public mutating func handleDatagram(_ datagram: consuming [UInt8], now: Timestamp) -> DatagramVerdict {
        guard !isClosed else { return .dropped(.closed) }
        let header: (channelID: UInt64, packetNumber: UInt64)
        do {
            header = try PacketProtection.peek(datagram, maximumDatagram: DirectChannel.maximumDatagram)
        } catch {
            statistics.droppedMalformed += 1
            return .dropped(.malformed)
        }
        guard header.channelID == localChannelID else {
            statistics.droppedWrongChannel += 1
            return .dropped(.wrongChannel)
        }
        let packetNumber = header.packetNumber
        guard !received.isDuplicate(packetNumber) else {
            statistics.droppedReplayed += 1
            return .dropped(.replayed)
        }
        let frames: [PacketFrame]
        do {
            var reader = try protection.open(consume datagram, packetNumber: packetNumber)
            frames = try PacketFrame.decodeAll(from: &reader)
        } catch is CryptoError {
            statistics.droppedForged += 1
            return .dropped(.forged)
        } catch {
            // Authentic but undecodable: the peer is broken. Drop the packet; the peer will be told by CLOSE.
            statistics.droppedMalformed += 1
            close(code: 1, reason: "malformed frame", now: now)
            return .dropped(.malformed)
        }
        let isNewest = received.largest.map { packetNumber > $0 } ?? true
        statistics.datagramsReceived += 1
        lastReceivedAt = now
        received.record(packetNumber, ackEliciting: frames.contains { $0.isAckEliciting }, now: now)
        var refused = false
        for frame in frames where !isClosed {
            if !process(frame, now: now) { refused = true }
        }
        // The stream refused data (too many separate out-of-order pieces): leave the packet unacknowledged so the
        // sender sends it again (decision 0096).
        if refused { received.forget(packetNumber) }
        if sendStream.unacknowledgedBytes == 0 { outstandingSince = nil }
        return .accepted(packetNumber: packetNumber, isNewest: isNewest)
    }

    /// False when the receive stream refused a STREAM frame's data whole (`ReceiveStream.receive`).
    private mutating func process(_ frame: PacketFrame, now: Timestamp) -> Bool {
        switch frame {
        case .padding, .ping:
            break
        case .ack(let ack):
            processAck(ack, now: now)
        case .stream(let offset, let data):
            do {
                let kept = try receiveStream.receive(offset: offset, data: data)
                statistics.bytesDroppedBeyondWindow = receiveStream.droppedBeyondWindow
                return kept
            } catch {
                messageTooLarge(now: now)
            }
        case .close(let code, let reason):
            finish(.peer(code: code, reason: reason))
        case .pathChallenge(let token):
            // Echo it with the next packet, from wherever we are now. Bounded: an authenticated peer that floods
            // challenges gets the newest few answered.
            if pendingPathResponses.count == DirectChannel.maximumPathTokens { pendingPathResponses.removeFirst() }
            pendingPathResponses.append(token)
        case .pathResponse(let token):
            if receivedPathResponses.count == DirectChannel.maximumPathTokens { receivedPathResponses.removeFirst() }
            receivedPathResponses.append(token)
        }
        return true
    }

    mutating func messageTooLarge(now: Timestamp) {
        close(code: 2, reason: "message over the size limit", now: now)
        finish(.protocolViolation("peer sent a message over \(configuration.maximumMessage) bytes"))
    }

    private mutating func processAck(_ ack: AckFrame, now: Timestamp) {
        guard ack.largest < nextPacketNumber else {
            finish(.protocolViolation("peer acknowledged packet \(ack.largest), which was never sent"))
            return
        }
        peerStreamLimit = max(peerStreamLimit, ack.maxStreamOffset)
        let outcome = sent.onAck(ack, now: now, lossDelay: rtt.lossDelay)
        if let sample = outcome.rttSample {
            let reportedDelay = Duration.microseconds(Int64(ack.delayMicroseconds))
            rtt.addSample(sample, ackDelay: min(reportedDelay, configuration.maxAckDelay))
        }
        congestion.onAck(
            outcome.acked.compactMap { packet in packet.delivery.map { (packet.size, $0) } },
            rttSample: outcome.rttSample,
            smoothedRTT: rtt.smoothed,
            now: now
        )
        for packet in outcome.acked {
            for range in packet.streamRanges { sendStream.onAcknowledged(range) }
            if packet.isMTUProbe {
                datagramSize = configuration.probeDatagramSize
                congestion.maxDatagramSize = datagramSize
                mtuProbe = .done
                emit(.datagramSizeIncreased(datagramSize))
            }
        }
        if !outcome.acked.isEmpty { ptoCount = 0 }
        handleLost(outcome.lost, now: now)
        let total = Double(outcome.acked.count + outcome.lost.count)
        if total > 0 { lossRate = lossRate * 0.9 + 0.1 * Double(outcome.lost.count) / total }
    }

    mutating func handleLost(_ packets: [SentPacketTracker.SentPacket], now: Timestamp) {
        for packet in packets {
            if packet.isMTUProbe {
                // Too big for the path, or lost at random: try again, up to three probes in all, then stay at the
                // current size. Not a congestion signal either way.
                mtuProbeAttempts += 1
                mtuProbe = mtuProbeAttempts < DirectChannel.maximumMTUProbes ? .pending : .done
                congestion.onPacketDiscarded(bytes: packet.size, countsInFlight: packet.isAckEliciting)
                continue
            }
            statistics.packetsLost += 1
            if packet.carriesWindowUpdate { windowUpdatePending = true }
            congestion.onPacketLost(bytes: packet.size, countsInFlight: packet.isAckEliciting)
            for range in packet.streamRanges { sendStream.onLost(range) }
        }
    }
}
