import ArgumentParser
import MeshCore

/// `meshbench codec`: frame encode/decode throughput against a plain byte copy of the same sizes.
struct CodecScenario: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "codec",
        abstract: "Frame encode+decode rate against a copy-only baseline."
    )

    @Option(help: "Frames to encode and decode.") var frames = 200_000
    @Option(help: "Payload bytes per frame.") var size = 256

    func run() throws {
        let payload = [UInt8](repeating: 0xA5, count: size)
        var frameBytes: [UInt8] = []
        let codecSeconds = try Stopwatch.measure {
            for index in 0..<frames {
                frameBytes = Frame(type: UInt16(truncatingIfNeeded: index), payload: payload).encoded()
                blackHole(try Frame.decode(frameBytes, maximumPayload: size))
            }
        }
        var copy: [UInt8] = []
        let baselineSeconds = Stopwatch.measure {
            for index in 0..<frames {
                copy = payload
                copy[0] = UInt8(truncatingIfNeeded: index)
                blackHole(Array(copy))
            }
        }
        var report = BenchReport(scenario: "codec")
        report["frames"] = frames
        report["size"] = size
        report.set("frames_per_s", Double(frames) / codecSeconds)
        report.set("baseline_copies_per_s", Double(frames) / baselineSeconds)
        report.set("codec_ratio", codecSeconds / baselineSeconds)
        report.printJSON()
    }
}
