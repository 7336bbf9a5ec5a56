import MeshCore
import Testing

@testable import ICE

@Suite("ICE across simulated NATs (deterministic, seeded loss)")
struct NATMatrixSimulationTests {
    /// The lab's expectation: direct unless UDP is blocked, or symmetric meets symmetric or port-restricted.
    static func expectDirect(_ a: SimNAT.Kind, _ b: SimNAT.Kind) -> Bool {
        if a == .udpBlocked || b == .udpBlocked { return false }
        let pair = Set([a, b])
        return !(pair == [.symmetric] || pair == [.symmetric, .portRestricted])
    }

    @Test("every pair of NAT kinds, 5% loss: direct exactly where expected, nominated within 1 s at the median")
    func matrix() {
        var times: [Duration] = []
        var mismatches: [String] = []
        let kinds = SimNAT.Kind.allCases
        for (i, a) in kinds.enumerated() {
            for b in kinds[i...] {
                var sim = NATPairSimulation(a, b, loss: 0.05, seed: UInt64(i * 10 + 1))
                let elapsed = sim.run()
                if (elapsed != nil) != Self.expectDirect(a, b) {
                    mismatches.append("\(a.rawValue) <-> \(b.rawValue): \(elapsed.map { "\($0)" } ?? "no path")")
                }
                if let elapsed { times.append(elapsed) }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches)")
        #expect(times.count == 13)  // 15 cells without UDP blocking, minus symmetric-symmetric and -port-restricted
        let median = times.sorted()[times.count / 2]
        #expect(median < .seconds(1), "median time to a nominated pair: \(median)")
    }

    @Test("a failed cell reports every pair with what happened to it")
    func failedCellReport() throws {
        var sim = NATPairSimulation(.symmetric, .symmetric, loss: 0, seed: 5)
        #expect(sim.run() == nil)
        let failure = try #require(sim.events[0].compactMap { if case .failed(let f) = $0 { f } else { nil } }.first)
        #expect(failure.code == .allPairsFailed)
        #expect(failure.pairs.count == sim.agents[0].pairs.count)
        #expect(failure.pairs.allSatisfy { $0.state == "failed" && $0.requestsSent == 7 })
    }
}
