import DirectPath
import ICE
import ICEDriver
import MeshCore

/// Runs a `DirectChannel` over the pair an `ICESession` selected: the thin adapter of design rule 2. Datagrams from
/// the session go into the channel, whatever the channel wants to send goes out through the session, and one timer
/// task sleeps until the channel's next deadline. No protocol decision is made here.
public actor DirectTransport {
    private var channel: DirectChannel
    private let session: ICESession
    private let clock: any MeshClock
    private var tasks: [Task<Void, Never>] = []
    /// Senders waiting for buffer space and receivers waiting for a message; woken on every input.
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var closedReason: CloseReason?
    /// How often the peer's address moved (a NAT rebinding followed, after the new address answered a challenge).
    public var rebinds: Int { path.moves }
    /// Where data goes and when it may move (the protocol decision; this actor only carries it out).
    private var path = PathValidator<TransportAddress>()
    private var random = SystemRandom()
    /// Told of every datagram the channel refused (forged, replayed, malformed, for another channel), so the owner
    /// of the transport can count them where operators look (the node's `/metrics`).
    private let dropped: (@Sendable (ChannelDropReason) -> Void)?

    public init(
        session: ICESession,
        channel: DirectChannel,
        clock: any MeshClock = SystemClock(),
        dropped: (@Sendable (ChannelDropReason) -> Void)? = nil
    ) {
        self.session = session
        self.channel = channel
        self.clock = clock
        self.dropped = dropped
    }

    /// Starts reading the session and running the channel's timers.
    public func start() {
        let incoming = session.incoming
        tasks.append(
            Task { [weak self] in
                for await batch in incoming {
                    await self?.receive(batch)
                }
            }
        )
        tasks.append(
            Task { [weak self] in
                while !Task.isCancelled {
                    guard let wait = await self?.untilNextDeadline() else { return }
                    try? await Task.sleep(for: wait)
                    await self?.timerFired()
                }
            }
        )
    }

    /// Sends one message reliably, waiting while the send buffer is full.
    public func send(_ message: [UInt8]) async throws {
        while true {
            try Task.checkCancellation()
            if let closedReason { throw DirectTransportError.closed(closedReason) }
            do {
                try channel.send(message)
                flush()
                return
            } catch .backpressure {
                await withCheckedContinuation { waiters.append($0) }
                if let closedReason { throw DirectTransportError.closed(closedReason) }
            } catch {
                throw DirectTransportError.send(error)
            }
        }
    }

    /// Returns once the peer has acknowledged everything sent so far (or the channel closed).
    public func waitUntilAcknowledged() async throws {
        while channel.pathQuality.unacknowledgedBytes > 0 {
            try Task.checkCancellation()
            if let closedReason { throw DirectTransportError.closed(closedReason) }
            await withCheckedContinuation { waiters.append($0) }
        }
    }

    /// The next message the peer sent (in order, exactly once), waiting for it; nil once the channel closed and
    /// every message before the close was taken. Messages are pulled from the channel only here, so a reader that
    /// stops reading holds the peer back through flow control instead of growing a queue.
    /// A cancelled caller is noticed at the next wake-up (the timer task wakes waiters at least every 50 ms).
    public func receive() async throws -> [UInt8]? {
        while true {
            try Task.checkCancellation()
            switch channel.pollEvent() {
            case .message(let message):
                flush()
                return message
            case .closed(let reason):
                closedReason = reason
            case .datagramSizeIncreased:
                continue
            case nil:
                if closedReason != nil || channel.isClosed { return nil }
                await withCheckedContinuation { waiters.append($0) }
            }
        }
    }

    /// Every message the peer sent that is here now (at least one, waiting for it), at most `maximum`; nil once the
    /// channel closed and every message before the close was taken. One call per burst lets the consumer store a
    /// burst in one transaction.
    public func receiveBatch(maximum: Int) async throws -> [[UInt8]]? {
        guard let first = try await receive() else { return nil }
        var batch = [first]
        while batch.count < maximum, case .message(let message)? = channel.pollEvent() {
            batch.append(message)
        }
        flush()
        return batch
    }

    public var pathQuality: PathQuality { channel.pathQuality }
    public var statistics: ChannelStatistics { channel.statistics }

    /// Why the channel closed (nil while open): the peer's close, an idle timeout, a protocol violation, lost ICE
    /// consent, or our own `close`. A closed transport never closes silently: `receive` returns nil and this says why.
    public var closeReason: CloseReason? { closedReason ?? channel.closeReason }

    public func close(code: UInt16 = 0, reason: String = "") async {
        channel.close(code: code, reason: reason, now: clock.now())
        flush()
        for task in tasks { task.cancel() }
        closedReason = closedReason ?? channel.closeReason ?? .local(code: code, reason: reason)
        wakeWaiters()
    }

    /// The ICE session lost consent on the selected pair (RFC 7675): the peer no longer wants our packets there, so
    /// the channel stops at once, with that reason, instead of sending into the void until its idle timeout.
    public func consentLost() {
        guard closedReason == nil else { return }
        channel.close(code: 1, reason: "ICE consent lost", now: clock.now())
        flush()
        for task in tasks { task.cancel() }
        closedReason = .local(code: 1, reason: "ICE consent lost")
        wakeWaiters()
    }

    /// One read burst: every datagram in, then one flush, so the burst is answered by one ACK.
    ///
    /// An authenticated datagram newer than any before, from a new address, starts path validation there (a
    /// replayed or forged one never does); the path moves when that address echoes the challenge. Until then data
    /// keeps going where it went, and retransmission covers what a dead old address swallowed.
    private func receive(_ batch: [IncomingDatagram]) {
        let now = clock.now()
        for datagram in batch {
            let verdict = channel.handleDatagram(datagram.bytes, now: now)
            if case .dropped(let reason) = verdict, reason != .closed { dropped?(reason) }
            if case .accepted(_, isNewest: true) = verdict {
                carryOut(
                    path.newestDatagram(
                        from: datagram.from,
                        now: now,
                        smoothedRTT: channel.pathQuality.smoothedRTT,
                        freshToken: { UInt64.random(in: .min ... .max, using: &random) }
                    ),
                    now: now
                )
            }
            let tokens = channel.takePathResponses()
            if !tokens.isEmpty { carryOut(path.responses(tokens, from: datagram.from), now: now) }
        }
        noteClose()
        wakeWaiters()
        flush()
    }

    private func carryOut(_ step: PathValidator<TransportAddress>.Step, now: Timestamp) {
        switch step {
        case .none:
            break
        case .follow(let address):
            session.redirect(to: address)
        case .challenge(let address, let token):
            session.send(channel.pathChallenge(token: token, now: now), to: address)
        }
    }

    private func timerFired() {
        if let deadline = channel.pollTimeout(), deadline <= clock.now() {
            channel.handleTimeout(now: clock.now())
        }
        noteClose()
        wakeWaiters()
        flush()
    }

    /// How long the timer task sleeps: until the channel's next deadline, at most 50 ms (a deadline can move
    /// earlier while it sleeps, e.g. when a send arms the pacer).
    private func untilNextDeadline() -> Duration? {
        guard closedReason == nil else { return nil }
        let now = clock.now()
        guard let deadline = channel.pollTimeout() else { return .milliseconds(50) }
        return max(min(deadline - now, .milliseconds(50)), .microseconds(100))
    }

    private func flush() {
        var datagrams: [[UInt8]] = []
        let now = clock.now()
        while let datagram = channel.pollTransmit(now: now) { datagrams.append(datagram) }
        noteClose()
        session.send(batch: datagrams)
    }

    /// Control events stay in the channel for `receive` (messages before a close come first); senders only need to
    /// know that the channel is gone.
    private func noteClose() {
        if closedReason == nil, channel.isClosed { closedReason = channel.closeReason }
    }

    private func wakeWaiters() {
        let woken = waiters
        waiters.removeAll()
        for waiter in woken { waiter.resume() }
    }
}

public enum DirectTransportError: Error, Sendable {
    case closed(CloseReason)
    case send(ChannelSendError)
}
