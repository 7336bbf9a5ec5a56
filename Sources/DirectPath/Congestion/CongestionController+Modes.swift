import MeshCore

extension CongestionController {
    /// BBR's state machine: startup until the pipe is full, drain its queue, then cruise with a probing cycle;
    /// after ten seconds without a lower RTT, a short ProbeRTT.
    mutating func advanceMode(now: Timestamp, roundStart: Bool, minRTTExpired: Bool) {
        switch mode {
        case .startup where filledPipe:
            mode = .drain
            pacingGain = 1 / CongestionController.highGain
            windowGain = CongestionController.highGain
        case .drain where bytesInFlight <= targetWindow(gain: 1):
            enterProbeBandwidth(now: now)
        case .probeBandwidth:
            advanceCycle(now: now)
        default:
            break
        }
        if mode != .probeRTT && minRTTExpired {
            mode = .probeRTT
            pacingGain = 1
            windowGain = 1
            windowBeforeProbeRTT = max(window, windowBeforeProbeRTT)
            probeRTTDoneAt = nil
        }
        if mode == .probeRTT { continueProbeRTT(now: now, roundStart: roundStart) }
    }

    private mutating func enterProbeBandwidth(now: Timestamp) {
        mode = .probeBandwidth
        windowGain = 2
        // Start anywhere but the draining phase, so flows that started together do not probe in lockstep.
        cycleIndex = (sampler.delivered / max(maxDatagramSize, 1)) % (CongestionController.cycleGains.count - 1)
        if cycleIndex >= 1 { cycleIndex += 1 }
        cycleStamp = now
        pacingGain = CongestionController.cycleGains[cycleIndex]
    }

    /// Each phase lasts one minimum RTT; probing up also waits until the extra bytes are in flight (or a loss says
    /// there is no room), and draining ends early once what is in flight is back to the estimate.
    private mutating func advanceCycle(now: Timestamp) {
        let elapsed = cycleStamp.map { now - $0 > (minRTT ?? .zero) } ?? true
        let next: Bool
        if pacingGain > 1 {
            next = elapsed && (lossesThisAck || bytesInFlight >= targetWindow(gain: pacingGain))
        } else if pacingGain < 1 {
            next = elapsed || bytesInFlight <= targetWindow(gain: 1)
        } else {
            next = elapsed
        }
        guard next else { return }
        cycleIndex = (cycleIndex + 1) % CongestionController.cycleGains.count
        cycleStamp = now
        pacingGain = CongestionController.cycleGains[cycleIndex]
    }

    /// Holds the window at four packets until they are all that is in flight, then for 200 ms and one round trip.
    private mutating func continueProbeRTT(now: Timestamp, roundStart: Bool) {
        if probeRTTDoneAt == nil {
            if bytesInFlight <= minimumWindow {
                probeRTTDoneAt = now + CongestionController.probeRTTDuration
                probeRTTRoundDone = false
                nextRoundDelivered = sampler.delivered
            }
            return
        }
        if roundStart { probeRTTRoundDone = true }
        guard probeRTTRoundDone, let done = probeRTTDoneAt, now >= done else { return }
        minRTTStamp = now
        window = max(window, windowBeforeProbeRTT)
        windowBeforeProbeRTT = 0
        probeRTTDoneAt = nil
        if filledPipe {
            enterProbeBandwidth(now: now)
        } else {
            mode = .startup
            pacingGain = CongestionController.highGain
            windowGain = CongestionController.highGain
        }
    }

    /// Pacing follows the estimate; before the pipe is full it only ever rises (a slow sample early on says little).
    mutating func setPacingRate(smoothedRTT: Duration) {
        let rate: Double
        if bandwidth.best > 0 {
            rate = pacingGain * bandwidth.best
        } else {
            let seconds = max(Double(smoothedRTT.nanoseconds) / 1e9, 1e-6)
            rate = CongestionController.highGain * Double(window) / seconds
        }
        if filledPipe || rate > pacer.rate { pacer.rate = rate }
    }

    /// Grows the window by what was acknowledged, towards `windowGain` × the bandwidth-delay product.
    mutating func setWindow(ackedBytes: Int) {
        let target = targetWindow(gain: windowGain)
        if filledPipe {
            window = min(window + ackedBytes, target)
        } else if window < target || sampler.delivered < maxDatagramSize * CongestionController.initialWindowPackets {
            window += ackedBytes
        }
        window = max(window, minimumWindow)
        if mode == .probeRTT { window = min(window, minimumWindow) }
    }
}
