import Foundation
import MeshCore
import MeshNodeAPI

/// `GET /v1/status` latency as an agent sees it: `concurrency` loops of back-to-back requests (each a fresh loopback
/// connection, as `BenchAPI` makes them), every request timed from its start to its decoded answer.
enum StatusProbe {
    /// Requests until `count` have answered (bounded by `timeout`).
    static func sample(
        _ client: BenchAPI,
        count: Int,
        concurrency: Int,
        timeout: Duration
    ) async throws
        -> [Double]
    {
        let deadline = ContinuousClock.now + timeout
        let taken = LockedValue(0)
        return try await run(client, concurrency: concurrency) {
            ContinuousClock.now < deadline
                && taken.withLock { value in
                    value += 1
                    return value <= count
                }
        }
    }

    /// Requests while `keepGoing()` is true.
    static func run(
        _ client: BenchAPI,
        concurrency: Int,
        keepGoing: @escaping @Sendable () -> Bool
    ) async throws -> [Double] {
        try await withThrowingTaskGroup(of: [Double].self) { group in
            for _ in 0..<max(concurrency, 1) {
                group.addTask {
                    var latencies: [Double] = []
                    while keepGoing() {
                        let start = ContinuousClock.now
                        _ = try await client.status()
                        latencies.append(milliseconds(since: start))
                    }
                    return latencies
                }
            }
            var all: [Double] = []
            for try await part in group { all += part }
            return all
        }
    }
}
