import MeshCore

/// BBR congestion control (v1, draft-cardwell-iccrg-bbr-congestion-control-00): a model of the path's bottleneck
/// bandwidth and minimum RTT sets the pacing rate and bounds what is in flight to twice the bandwidth-delay product.
///
/// Why not NewReno: it halves the window on every loss, so on a path with random loss (Wi-Fi, cellular, a lossy
/// NAT) the window settles near √(1.5 / p) packets whatever the path could carry: 2-10 packets at 5 % loss, a tenth
/// of the path on loopback (decision 0067). BBR measures what is delivered instead, and loss only trims the window
/// by what was lost. Loss above `lossThreshold` in one round is still taken as congestion (see `endRound`).
struct CongestionController: Sendable {
    enum Mode: Equatable, Sendable {
        /// Doubling the sending rate every round until the delivery rate stops growing.
        case startup
        /// Draining the queue startup built, pacing below the estimate.
        case drain
        /// Cruising at the estimate, probing 25 % above it one round in eight.
        case probeBandwidth
        /// Window at four packets for 200 ms, to measure the path's RTT without our own queue.
        case probeRTT
    }

    static let initialWindowPackets = 10
    static let minimumWindowPackets = 4
    static let highGain = 2.885
    static let cycleGains = [1.25, 0.75, 1, 1, 1, 1, 1, 1]
    static let bandwidthFilterRounds = 10
    static let minRTTLifetime: Duration = .seconds(10)
    static let probeRTTDuration: Duration = .milliseconds(200)
    /// Loss of more than this share of a round's bytes is congestion, not noise.
    static let lossThreshold = 0.2

    var maxDatagramSize: Int
    var window: Int
    private(set) var bytesInFlight = 0
    var mode: Mode = .startup
    private(set) var minRTT: Duration?
    var minRTTStamp: Timestamp?
    var sampler = DeliveryRateSampler()
    var bandwidth = WindowedMaxFilter(length: CongestionController.bandwidthFilterRounds)
    var pacer: Pacer
    var pacingGain = CongestionController.highGain
    var windowGain = CongestionController.highGain
    private(set) var round = 0
    var nextRoundDelivered = 0
    private var fullBandwidth = 0.0
    private var roundsWithoutGrowth = 0
    private(set) var filledPipe = false
    var cycleIndex = 0
    var cycleStamp: Timestamp?
    var probeRTTDoneAt: Timestamp?
    var probeRTTRoundDone = false
    var windowBeforeProbeRTT = 0
    private var roundLostBytes = 0
    private var roundAckedBytes = 0
    var lossesThisAck = false

    init(maxDatagramSize: Int) {
        self.maxDatagramSize = maxDatagramSize
        window = maxDatagramSize * CongestionController.initialWindowPackets
        pacer = Pacer(maxDatagramSize: maxDatagramSize)
    }

    /// The bottleneck-bandwidth estimate in bytes per second; zero before the first sample.
    var bandwidthEstimate: Double { bandwidth.best }
    var pacingRate: Double { pacer.rate }
    var availableWindow: Int { max(window - bytesInFlight, 0) }
    var minimumWindow: Int { maxDatagramSize * CongestionController.minimumWindowPackets }

    func canSend(bytes: Int) -> Bool { bytesInFlight + bytes <= window }

    /// When the pacer next releases a full-size packet, if it is holding packets back.
    var nextPacingTime: Timestamp? { pacer.nextSendTime(size: maxDatagramSize) }

    /// When pacing next allows a packet; nil when a packet may go now.
    func pacingDelay(now: Timestamp) -> Timestamp? {
        guard let next = nextPacingTime else { return nil }
        return now >= next ? nil : next
    }

    /// Returns the snapshot the ACK of an in-flight packet turns into a delivery-rate sample.
    mutating func onPacketSent(bytes: Int, countsInFlight: Bool, now: Timestamp) -> DeliverySnapshot? {
        pacer.onPacketSent(bytes: bytes, burst: max(sendQuantum, maxDatagramSize * Pacer.burstPackets), now: now)
        guard countsInFlight else { return nil }
        let snapshot = sampler.onPacketSent(now: now, bytesInFlightBefore: bytesInFlight)
        bytesInFlight += bytes
        return snapshot
    }

    /// The sender had window to spare and nothing to send.
    mutating func onApplicationLimited() {
        sampler.onApplicationLimited(bytesInFlight: bytesInFlight)
    }

    /// One ACK: the in-flight packets it acknowledged (size and send snapshot) and the RTT sample it gave.
    mutating func onAck(
        _ packets: [(size: Int, snapshot: DeliverySnapshot)],
        rttSample: Duration?,
        smoothedRTT: Duration,
        now: Timestamp
    ) {
        let ackedBytes = packets.reduce(0) { $0 + $1.size }
        bytesInFlight = max(bytesInFlight - ackedBytes, 0)
        guard !packets.isEmpty else { return }
        let sample = sampler.onAck(packets, now: now, minRTT: minRTT)
        roundAckedBytes += ackedBytes
        var roundStart = false
        if let sample, sample.priorDelivered >= nextRoundDelivered {
            nextRoundDelivered = sampler.delivered
            round += 1
            roundStart = true
            endRound(sample: sample)
        }
        if let sample, !sample.isAppLimited || sample.rate >= bandwidth.best {
            bandwidth.update(sample.rate, round: round)
        }
        let minRTTExpired = updateMinRTT(rttSample, now: now)
        if roundStart { checkFullPipe(sample) }
        advanceMode(now: now, roundStart: roundStart, minRTTExpired: minRTTExpired)
        setPacingRate(smoothedRTT: smoothedRTT)
        setWindow(ackedBytes: ackedBytes)
        lossesThisAck = false
    }

    /// A lost packet trims the window by its size (BBR's response to random loss); only a round with loss over
    /// `lossThreshold` cuts deeper.
    mutating func onPacketLost(bytes: Int, countsInFlight: Bool) {
        guard countsInFlight else { return }
        bytesInFlight = max(bytesInFlight - bytes, 0)
        roundLostBytes += bytes
        lossesThisAck = true
        window = max(window - bytes, minimumWindow)
    }

    /// A packet that is no longer tracked for another reason (a probe that needs no retransmission).
    mutating func onPacketDiscarded(bytes: Int, countsInFlight: Bool) {
        if countsInFlight { bytesInFlight = max(bytesInFlight - bytes, 0) }
    }

    /// What the pacer releases at once: a millisecond at the pacing rate, between two packets and 64 KiB (BBR's
    /// send quantum, Linux's TSO budget). Per-packet work then amortises over bursts on fast paths.
    var sendQuantum: Int {
        let perMillisecond = Int(pacer.rate / 1_000)
        return min(max(perMillisecond, 2 * maxDatagramSize), 65_536)
    }

    /// Bytes the model says the path holds, times `gain`, plus three send quanta for ACK aggregation and for the
    /// hosts' own batching (BBR's quantization budget).
    func targetWindow(gain: Double) -> Int {
        guard let minRTT, bandwidth.best > 0 else { return maxDatagramSize * CongestionController.initialWindowPackets }
        let product = bandwidth.best * Double(minRTT.nanoseconds) / 1e9
        return Int(gain * product) + 3 * sendQuantum
    }

    /// Heavy loss is congestion whatever the model says: a policer or a full queue that BBR's estimate overshot.
    /// Like BBRv2's loss bound (at a higher threshold, so random loss is not mistaken for it), the estimate
    /// restarts from what the round delivered and the window drops by 30 %.
    private mutating func endRound(sample: RateSample) {
        let total = roundLostBytes + roundAckedBytes
        if total > 0, Double(roundLostBytes) / Double(total) > CongestionController.lossThreshold {
            bandwidth.reset(to: sample.rate, round: round)
            window = max(window * 7 / 10, minimumWindow)
        }
        roundLostBytes = 0
        roundAckedBytes = 0
    }

    /// Returns whether the minimum RTT was too old to trust (time to probe it).
    private mutating func updateMinRTT(_ rttSample: Duration?, now: Timestamp) -> Bool {
        let expired = minRTTStamp.map { now > $0 + CongestionController.minRTTLifetime } ?? false
        if let rttSample, expired || rttSample <= (minRTT ?? rttSample) {
            minRTT = rttSample
            minRTTStamp = now
        }
        return expired
    }

    /// Startup ends when three rounds in a row failed to raise the delivery rate by a quarter.
    private mutating func checkFullPipe(_ sample: RateSample?) {
        guard !filledPipe, let sample, !sample.isAppLimited else { return }
        if bandwidth.best >= fullBandwidth * 1.25 {
            fullBandwidth = bandwidth.best
            roundsWithoutGrowth = 0
            return
        }
        roundsWithoutGrowth += 1
        if roundsWithoutGrowth >= 3 { filledPipe = true }
    }
}
