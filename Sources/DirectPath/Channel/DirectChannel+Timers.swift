import MeshCore

extension DirectChannel {
    static let maximumBackoffExponent = 10

    var probeTimeoutDeadline: Timestamp? {
        guard sent.hasAckElicitingInFlight, let last = sent.lastAckElicitingSentAt else { return nil }
        let backoff = 1 << min(ptoCount, DirectChannel.maximumBackoffExponent)
        return last + rtt.probeTimeout(maxAckDelay: configuration.maxAckDelay) * backoff
    }

    /// The clock starts at the later of "our data became outstanding" and "the last authentic packet": a send after a
    /// long quiet spell gets the whole timeout, and any authentic packet (an ACK, the peer's own data) restarts it.
    var unresponsiveDeadline: Timestamp? {
        guard let since = outstandingSince else { return nil }
        return max(since, lastReceivedAt) + configuration.unresponsiveTimeout
    }

    /// The next instant at which `handleTimeout` has work to do (timers are data, design rule 4).
    public func pollTimeout() -> Timestamp? {
        guard !isClosed else { return nil }
        var deadline = lastReceivedAt + configuration.idleTimeout
        if let unresponsive = unresponsiveDeadline { deadline = min(deadline, unresponsive) }
        // Once a keepalive is due it stays pending until sent, so its deadline must not keep firing meanwhile.
        if !pendingPing { deadline = min(deadline, lastSentAt + configuration.keepaliveInterval) }
        if received.needsAck, let first = received.firstUnackedAt {
            deadline = min(deadline, first + configuration.maxAckDelay)
        }
        if let loss = sent.lossTime(lossDelay: rtt.lossDelay) { deadline = min(deadline, loss) }
        if let probe = probeTimeoutDeadline { deadline = min(deadline, probe) }
        let wantsToSend = pendingPing || sendStream.hasDataToSend(peerLimit: peerStreamLimit)
        // Only the pacer can be what holds a packet back when the window is open (ACKs and PTO cover a full window).
        if wantsToSend, congestion.canSend(bytes: datagramSize), let pace = congestion.nextPacingTime {
            deadline = min(deadline, pace)
        }
        return deadline
    }

    /// Runs whatever timers have expired. Calling it early is harmless (a spurious timeout is a no-op).
    public mutating func handleTimeout(now: Timestamp) {
        guard !isClosed else { return }
        if now >= lastReceivedAt + configuration.idleTimeout {
            finish(.idleTimeout)
            return
        }
        if let unresponsive = unresponsiveDeadline, now >= unresponsive {
            finish(.unresponsive)
            return
        }
        if let loss = sent.lossTime(lossDelay: rtt.lossDelay), now >= loss {
            handleLost(sent.detectLost(now: now, lossDelay: rtt.lossDelay), now: now)
        }
        if let probe = probeTimeoutDeadline, now >= probe {
            // Probe timeout: the tail of the flight may be lost with nothing after it to reveal the loss. Send up to
            // two probes outside the congestion window, carrying the oldest unacknowledged data (or a PING).
            ptoCount += 1
            probeBudget = 2
            // Only the oldest outstanding data: marking the whole flight for retransmission resent a full window
            // (megabytes on a fast path) after every tail loss and collapsed goodput under random loss.
            for range in sent.oldestStreamRanges(packets: 2) { sendStream.onLost(range) }
            if sent.hasWindowUpdateInFlight { windowUpdatePending = true }
            if !sendStream.hasDataToSend(peerLimit: peerStreamLimit) { pendingPing = true }
        }
        if now >= lastSentAt + configuration.keepaliveInterval {
            pendingPing = true
        }
    }
}
