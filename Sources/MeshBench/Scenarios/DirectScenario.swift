import ArgumentParser
import DirectPath
import MeshCore

/// `meshbench direct`: the direct-path channel between two real UDP sockets on loopback, against plain UDP carrying
/// datagrams of the same size through the same sockets in the same run, with the same user-space loss.
struct DirectScenario: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "direct",
        abstract: "Direct-path goodput, message rate and latency against plain UDP on loopback."
    )

    @Option(help: "Bytes of messages to move.") var bytes = 32 * 1_048_576
    @Option(help: "Fraction of datagrams dropped in each direction (0...0.5).") var loss = 0.0
    @Option(help: "Bytes per message.") var messageSize = 16_384
    @Option(help: "Messages in flight at once (latency is measured from enqueue).") var outstanding = 64
    @Option(help: "Seed for the loss pattern.") var seed: UInt64 = 1
    @Flag(
        inversion: .prefixedNo,
        help: "The channel's sockets move up to 64 datagrams per sendmmsg/recvmmsg, as the product's NIO adapter does."
    )
    var batchedSyscalls = true
    @Option(help: "The channel's AEAD: aes256gcm or xchacha20poly1305 (default: the fastest this host supports).")
    var cipher: String?
    @Option(help: "Rounds of channel, baseline and batched baseline, interleaved; medians are reported.")
    var rounds = 3

    func validate() throws {
        guard (0...0.5).contains(loss) else { throw ValidationError("--loss must be between 0 and 0.5") }
        guard messageSize >= 8 && messageSize <= 1_048_576 else { throw ValidationError("--message-size: 8...1048576") }
        guard (1...20).contains(rounds) else { throw ValidationError("--rounds: 1...20") }
        if let cipher {
            guard let chosen = ChannelCipher(rawValue: cipher) else {
                throw ValidationError("--cipher: aes256gcm or xchacha20poly1305")
            }
            guard ChannelCipher.supported.contains(chosen) else {
                throw ValidationError("--cipher \(cipher): this CPU lacks AES-NI")
            }
        }
    }

    func run() throws {
        let clock = SystemClock()
        var random = SeededRandom(seed: seed)
        let chosen = cipher.flatMap(ChannelCipher.init(rawValue:)) ?? ChannelCipher.supported[0]
        let run = try DirectRun(
            messageSize: messageSize,
            count: max(bytes / messageSize, 1),
            outstanding: outstanding,
            batched: batchedSyscalls,
            cipher: chosen
        )
        // Interleaved rounds, medians reported: on a shared machine one phase can land in a busy second, and a
        // ratio of two single runs then swings by a quarter.
        var results: [DirectRun.Result] = []
        var baselines: [Double] = []
        var batchedBaselines: [Double] = []
        for _ in 0..<rounds {
            let result = try run.execute(loss: loss, random: &random, clock: clock)
            results.append(result)
            baselines.append(
                try PlainUDPRun.execute(
                    datagramSize: result.datagramSize,
                    bytes: result.deliveredBytes,
                    loss: loss,
                    random: &random,
                    clock: clock
                )
            )
            // The baseline above stays one sendto/recv per datagram; this one batches like the channel's.
            batchedBaselines.append(
                try PlainUDPRun.executeBatched(
                    datagramSize: result.datagramSize,
                    bytes: result.deliveredBytes,
                    loss: loss,
                    random: &random,
                    clock: clock
                )
            )
        }
        let result = results.sorted { $0.goodputMbps < $1.goodputMbps }[results.count / 2]
        let baseline = median(baselines)
        let batchedBaseline = median(batchedBaselines)
        var report = BenchReport(scenario: "direct")
        report["bytes"] = result.deliveredBytes
        report["message_size"] = messageSize
        report.set("loss", loss)
        report["datagram_size"] = result.datagramSize
        report.set("goodput_mbps", result.goodputMbps)
        report.set("messages_per_s", result.messagesPerSecond)
        report.set("latency_ms_p50", result.latencyMilliseconds(percentile: 0.50))
        report.set("latency_ms_p99", result.latencyMilliseconds(percentile: 0.99))
        report.set("baseline_goodput_mbps", baseline)
        report.set("goodput_ratio", result.goodputMbps / max(baseline, 1e-9))
        report.set("baseline_batched_goodput_mbps", batchedBaseline)
        report.set("goodput_ratio_batched", result.goodputMbps / max(batchedBaseline, 1e-9))
        report["batched_syscalls"] = batchedSyscalls
        report["cipher"] = chosen.rawValue
        report["rounds"] = rounds
        report["packets_lost"] = result.packetsLost
        report["datagrams_sent"] = result.datagramsSent
        report.set("srtt_ms", result.smoothedRTTMilliseconds)
        report["congestion_window"] = result.congestionWindow
        report.printJSON()
    }
}

/// The middle value (the upper one of the two middle values for an even count).
func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
}
