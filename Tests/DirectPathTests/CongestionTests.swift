import MeshCore
import Testing

@testable import DirectPath

/// BBR over a simulated bottleneck, and its parts with exact numbers (decision 0067).
@Suite struct CongestionTests {
    static let start = Timestamp(secondsSinceEpoch: 1_700_000_000)

    /// Moves `bytes` in 16 KiB messages from A to B; returns goodput in bit/s of virtual time.
    static func transfer(_ link: inout SimulatedLink, bytes: Int) throws -> Double {
        let messages = bytes / 16_384
        for index in 0..<messages {
            try link.a.send([UInt8](repeating: UInt8(truncatingIfNeeded: index), count: 16_384))
        }
        let began = link.now
        let finished = link.run(for: .seconds(120)) { $0.receivedByB.count >= messages }
        #expect(finished)
        return Double(messages * 16_384 * 8) / (Double((link.now - began).nanoseconds) / 1e9)
    }

    /// NewReno halves on every loss and holds ~√(1.5/p) packets: 1.6 Mbit/s of this 10 Mbit/s, 40 ms path at 5 %
    /// random loss (the Mathis bound). BBR keeps the rate it measures.
    @Test func randomLossDoesNotCollapseTheRate() throws {
        var link = try SimulatedLink(
            conditions: .init(latency: .milliseconds(20), jitter: .zero, loss: 0.05, bottleneckBitsPerSecond: 10e6),
            seed: 41
        )
        let goodput = try Self.transfer(&link, bytes: 4 * 1_048_576)
        #expect(goodput > 8e6, "goodput \(goodput) bit/s over a 10 Mbit/s bottleneck at 5 % loss")
        #expect(link.a.statistics.packetsLost > 50)
    }

    /// A loss-based sender fills whatever queue sits at the bottleneck (here 1 MiB: 0.8 s of delay). BBR bounds what
    /// is in flight near the bandwidth-delay product, so the queue, and the RTT, stay small while the link stays full.
    @Test func theBottleneckQueueStaysShortAndTheLinkFull() throws {
        var link = try SimulatedLink(
            conditions: .init(latency: .milliseconds(20), jitter: .zero, bottleneckBitsPerSecond: 10e6),
            seed: 42
        )
        let goodput = try Self.transfer(&link, bytes: 4 * 1_048_576)
        #expect(goodput > 8e6, "goodput \(goodput) bit/s over a 10 Mbit/s bottleneck")
        #expect(link.droppedAtQueue == 0)
        #expect(link.a.pathQuality.smoothedRTT < .milliseconds(80), "RTT \(link.a.pathQuality.smoothedRTT), base 40 ms")
        #expect(link.maximumQueueDelay < .milliseconds(150), "queue delay \(link.maximumQueueDelay)")
    }

    /// One round over a path that delivers 50 packets of 1,000 bytes per round trip: sends what the window allows
    /// (at most 50) at `at`, then acknowledges them all `rtt` later.
    static func roundTrip(_ controller: inout CongestionController, at: Timestamp, rtt: Duration) {
        var packets: [(size: Int, snapshot: DeliverySnapshot)] = []
        for _ in 0..<min(controller.availableWindow / 1_000, 50) {
            if let snapshot = controller.onPacketSent(bytes: 1_000, countsInFlight: true, now: at) {
                packets.append((1_000, snapshot))
            }
        }
        controller.onAck(packets, rttSample: rtt, smoothedRTT: rtt, now: at + rtt)
    }

    /// A controller after twenty 50 ms rounds on the 50-packet path of `roundTrip`, and the time after them.
    static func cruising() -> (CongestionController, Timestamp) {
        var controller = CongestionController(maxDatagramSize: 1_000)
        var now = start
        for _ in 0..<20 {
            roundTrip(&controller, at: now, rtt: .milliseconds(50))
            now = now + .milliseconds(50)
        }
        return (controller, now)
    }

    @Test func deliveryRateIsBytesOverTheLongerInterval() {
        var sampler = DeliveryRateSampler()
        let sent = (0..<10).map { _ in sampler.onPacketSent(now: Self.start, bytesInFlightBefore: 0) }
        // Ten 1,000-byte packets sent at once, acknowledged 100 ms later: 100,000 bytes per second.
        let sample = sampler.onAck(sent.map { (1_000, $0) }, now: Self.start + .milliseconds(100), minRTT: nil)
        #expect(sample?.rate == 100_000)
        #expect(sample?.isAppLimited == false)
        // Nothing left to send: the next packets, and their sample, are marked app-limited.
        sampler.onApplicationLimited(bytesInFlight: 0)
        let next = sampler.onPacketSent(now: Self.start + .milliseconds(100), bytesInFlightBefore: 0)
        let limited = sampler.onAck([(1_000, next)], now: Self.start + .milliseconds(200), minRTT: nil)
        #expect(limited?.isAppLimited == true)
        #expect(limited?.rate == 10_000)
        // An interval shorter than the minimum RTT says nothing.
        let quick = sampler.onPacketSent(now: Self.start + .milliseconds(200), bytesInFlightBefore: 0)
        #expect(sampler.onAck([(1_000, quick)], now: Self.start + .milliseconds(201), minRTT: .milliseconds(10)) == nil)
    }

    @Test func theBandwidthFilterForgetsAfterTenRounds() {
        var filter = WindowedMaxFilter(length: 10)
        filter.update(500, round: 1)
        filter.update(100, round: 2)
        #expect(filter.best == 500)
        filter.update(90, round: 10)
        #expect(filter.best == 500)
        filter.update(80, round: 11)
        #expect(filter.best == 100)
    }

    @Test func thePacerReleasesABurstThenSpacesPackets() {
        var pacer = Pacer(maxDatagramSize: 1_000)
        pacer.rate = 125_000
        for _ in 0..<10 {
            #expect(pacer.nextSendTime(size: 1_000) == nil)
            pacer.onPacketSent(bytes: 1_000, burst: 10_000, now: Self.start)
        }
        // The bucket is empty; 1,000 bytes at 125 kB/s take 8 ms.
        #expect(pacer.nextSendTime(size: 1_000) == Self.start + .milliseconds(8))
    }

    /// Random loss trims the window by what was lost; NewReno would have halved it.
    @Test func aLossTrimsTheWindowByItsSize() {
        var (controller, now) = Self.cruising()
        let before = controller.window
        _ = controller.onPacketSent(bytes: 1_000, countsInFlight: true, now: now)
        controller.onPacketLost(bytes: 1_000, countsInFlight: true)
        #expect(controller.window == before - 1_000)
        #expect(controller.bandwidthEstimate > 0)
    }

    /// A round that lost over a fifth of its bytes is congestion: the window drops by 30 % and the estimate restarts.
    @Test func heavyLossInARoundIsCongestion() {
        var (controller, now) = Self.cruising()
        let estimate = controller.bandwidthEstimate
        // One round: 40 packets out, 30 lost, 10 acknowledged.
        var snapshots: [(size: Int, snapshot: DeliverySnapshot)] = []
        for _ in 0..<40 {
            if let snapshot = controller.onPacketSent(bytes: 1_000, countsInFlight: true, now: now) {
                snapshots.append((1_000, snapshot))
            }
        }
        for _ in 0..<30 { controller.onPacketLost(bytes: 1_000, countsInFlight: true) }
        let trimmed = controller.window
        controller.onAck(
            Array(snapshots.prefix(10)),
            rttSample: .milliseconds(50),
            smoothedRTT: .milliseconds(50),
            now: now + .milliseconds(50)
        )
        // The ACK that closes the round also grew the window by 10,000 bytes before the cut was applied.
        #expect(controller.window <= (trimmed + 10_000) * 7 / 10 + 1_000)
        #expect(controller.bandwidthEstimate < estimate / 2)
    }

    /// Ten seconds without a lower RTT: four packets in flight for 200 ms and a round, then back to cruising.
    @Test func probeRTTDrainsTheQueueEveryTenSeconds() {
        var controller = CongestionController(maxDatagramSize: 1_000)
        var now = Self.start
        Self.roundTrip(&controller, at: now, rtt: .milliseconds(100))
        now = now + .milliseconds(100)
        var sawProbeRTT = false
        var windowInProbeRTT = Int.max
        for _ in 0..<130 {
            Self.roundTrip(&controller, at: now, rtt: .milliseconds(120))
            now = now + .milliseconds(120)
            if controller.mode == .probeRTT {
                sawProbeRTT = true
                windowInProbeRTT = min(windowInProbeRTT, controller.window)
            }
        }
        #expect(sawProbeRTT)
        #expect(windowInProbeRTT == 4_000)
        #expect(controller.mode == .probeBandwidth)
        #expect(controller.window > 4_000)
        #expect(controller.minRTT == .milliseconds(120))
    }
}
