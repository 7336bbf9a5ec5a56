import MeshCore
import Testing

@testable import ICE

@Suite("Port prediction scheduler, sans-IO")
struct PortPredictionSchedulerTests {
    static let start = Timestamp(secondsSinceEpoch: 100)

    @Test("ticked every millisecond, the pacer releases exactly one datagram per interval and stops at the total")
    func pacedExactly() {
        let config = PortPredictionConfig()  // 500/s: one every 2 ms
        var pacer = PredictionPacer(start: Self.start, total: 2_048, config: config)
        var releases: [Int64] = []  // milliseconds after start
        for ms in Int64(0)..<10_000 {
            let now = Self.start + .milliseconds(ms)
            for _ in 0..<pacer.release(now: now, wanted: .max) { releases.append(ms) }
        }
        #expect(releases.count == 2_048)
        #expect(releases == (0..<2_048).map { Int64($0) * 2 })
        #expect(pacer.deadline == nil)
        #expect(pacer.isExhausted(now: Self.start + .seconds(5)))
        // Any one-second window holds at most 500.
        let maximum = releases.indices.map { i in releases[i...].prefix { $0 < releases[i] + 1_000 }.count }.max()
        #expect(maximum == 500)
    }

    @Test("nothing before the start, nothing at or after start + maximumDuration")
    func timeCap() {
        var config = PortPredictionConfig()
        config.maximumDuration = .seconds(3)
        var pacer = PredictionPacer(start: Self.start, total: 100_000, config: config)
        #expect(pacer.release(now: Self.start - .milliseconds(1), wanted: .max) == 0)
        var sent = 0
        for ms in Int64(0)..<5_000 { sent += pacer.release(now: Self.start + .milliseconds(ms), wanted: .max) }
        #expect(sent == 1_500)  // 3 s at 500/s
        #expect(pacer.release(now: Self.start + .seconds(3), wanted: .max) == 0)
        #expect(pacer.deadline == nil)
    }

    @Test("a late wake-up releases at most the burst, then the schedule resumes at the rate")
    func burstCap() {
        let config = PortPredictionConfig()
        var pacer = PredictionPacer(start: Self.start, total: 2_048, config: config)
        #expect(pacer.release(now: Self.start + .seconds(1), wanted: .max) == 16)
        #expect(pacer.release(now: Self.start + .seconds(1), wanted: .max) == 0)
        #expect(pacer.deadline == Self.start + .seconds(1) + .milliseconds(2))
        #expect(pacer.release(now: Self.start + .milliseconds(1_002), wanted: .max) == 1)
    }

    @Test("release never exceeds what the caller wants, and unwanted credit is not lost beyond the burst")
    func wanted() {
        let config = PortPredictionConfig()
        var pacer = PredictionPacer(start: Self.start, total: 10, config: config)
        #expect(pacer.release(now: Self.start, wanted: 0) == 0)
        #expect(pacer.release(now: Self.start + .milliseconds(100), wanted: 3) == 3)
        #expect(pacer.release(now: Self.start + .milliseconds(100), wanted: 100) == 7)
        #expect(pacer.sent == 10)
        #expect(pacer.release(now: Self.start + .seconds(1), wanted: 100) == 0)
    }

    @Test("predicted ports: the ±window nearest first, then distinct random ports in range, seeded")
    func ports() {
        var config = PortPredictionConfig()
        config.sequentialWindow = 3
        var ports = PredictedPorts(anchors: [40_000], config: config)
        var random = SeededRandom(seed: 9)
        let first = (0..<6).compactMap { _ in ports.next(using: &random) }
        #expect(first == [40_001, 39_999, 40_002, 39_998, 40_003, 39_997])
        var rest: [UInt16] = []
        for _ in 0..<2_000 { if let port = ports.next(using: &random) { rest.append(port) } }
        #expect(rest.count == 2_000)
        #expect(Set(rest + first).count == 2_006)
        #expect(rest.allSatisfy { $0 >= 1_024 })
        var again = PredictedPorts(anchors: [40_000], config: config)
        var replay = SeededRandom(seed: 9)
        let replayed = (0..<2_006).compactMap { _ in again.next(using: &replay) }
        #expect(replayed == first + rest)
    }

    @Test("a small range is exhausted exactly, without repeats, and then yields nil")
    func exhaustion() {
        var config = PortPredictionConfig()
        config.portRange = 60_000...60_099
        config.sequentialWindow = 48
        var ports = PredictedPorts(anchors: [60_000], config: config)
        var random = SeededRandom(seed: 1)
        var all: [UInt16] = []
        while let port = ports.next(using: &random) { all.append(port) }
        #expect(all.count == 100)
        #expect(Set(all) == Set(60_000...60_099))
        #expect(Array(all.prefix(2)) == [60_001, 60_002])  // below the anchor is out of range
    }
}
