import Foundation

/// One side's results: the driver's wall-clock time around every operation, and what came back.
///
/// Latency percentiles (`quantile`, as `meshbench e2e`) are over every operation that was answered (a lookup that finds nothing still takes its
/// time); an operation with no answer within the driver's timeout counts as a failure and as `unanswered`.
struct RaceTally: Sendable {
    var putMilliseconds: [Double] = []
    var getMilliseconds: [Double] = []
    var puts = 0
    var putsStored = 0
    var gets = 0
    var getsFound = 0
    var unanswered = 0
    var errors: [String] = []
    var memory: [RaceNetwork.Memory] = []
    var contacts: [Int] = []
    /// Datagrams the side's nodes sent over the whole race, and how many of ours carried a pair tag.
    var datagramsSent = 0
    /// The same count read once publishing was done, before the first get.
    var sentBeforeGets = 0
    var datagramsSentTagged = 0
    /// Nodes that never heard from their bootstrap node (`RaceNetwork.alone`).
    var alone = 0

    var success: Double { gets == 0 ? 0 : Double(getsFound) / Double(gets) }
    var rssPerNode: Double { mean(memory.map(\.rss)) }
    /// Datagrams sent by all of the side's nodes during the gets, per get: requests and their replies. On two cores
    /// shared by every process, each is a process woken, which is what a get's latency follows here.
    var getDatagramsPerLookup: Double { gets == 0 ? 0 : Double(max(0, datagramsSent - sentBeforeGets)) / Double(gets) }

    func mean(_ values: [Double]) -> Double { values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count) }

    /// The side's object in the report.
    var json: [String: Any] {
        [
            "success": rounded(success),
            "get_ms_p50": rounded(quantile(getMilliseconds, 0.50)),
            "get_ms_p99": rounded(quantile(getMilliseconds, 0.99)),
            "get_datagrams_per_lookup": rounded(getDatagramsPerLookup),
            "publish_ms_p50": rounded(quantile(putMilliseconds, 0.50)),
            "publish_ms_p99": rounded(quantile(putMilliseconds, 0.99)),
            "publish_success": rounded(puts == 0 ? 0 : Double(putsStored) / Double(puts)),
            "rss_mb_per_node": rounded(rssPerNode),
            "rss_mb_max": rounded(memory.map(\.rss).max() ?? 0),
            "rss_anon_mb_per_node": rounded(mean(memory.map(\.anonymous))),
            "pss_mb_per_node": rounded(mean(memory.map(\.proportional))),
            "contacts_mean": rounded(contacts.isEmpty ? 0 : Double(contacts.reduce(0, +)) / Double(contacts.count)),
            "unanswered": unanswered,
            "nodes_alone": alone,
            "errors": Array(errors.prefix(3)),
        ]
    }

    /// Three decimals keep the JSON readable.
    func rounded(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }

    mutating func record(error reply: [String: Any]) {
        if reply["event"] as? String == "error", errors.count < 10 { errors.append(reply["message"] as? String ?? "?") }
    }
}
