import ICE
import MeshCore

/// When the node classifies its NAT, whom it asks, and what it last found (decision 0101). Sans-IO: the node asks
/// `begin(now:candidates:)` for the STUN servers to probe (nil: not due, or a probe is running), runs `NATCheck`,
/// and hands the report to `finish`. At start (as soon as two servers are known, or after `startupGrace` with
/// one), then every `interval`; sooner (`retryInterval`) while there was nobody to ask or fewer than two answered
/// (a class from one server is only partly certain), so a node that has just joined does not wait half an hour.
public struct NATWatch: Sendable {
    public static let interval: Duration = .seconds(30 * 60)
    public static let retryInterval: Duration = .seconds(60)
    /// Servers asked per probe: two tell a symmetric NAT from a cone; more only help when some are down. Each is
    /// sent a handful of STUN requests, so a probe costs a few kilobytes every half hour.
    public static let maximumServers = 4
    /// How long after start the first probe waits for a second server (the DHT is still joining).
    public static let startupGrace: Duration = .seconds(30)
    static let startupPoll: Duration = .seconds(2)

    public private(set) var latest: NATReport?
    public private(set) var measuredAt: Timestamp?
    public private(set) var asked = 0
    var nextDue: Timestamp
    var running = false
    let startedAt: Timestamp

    public init(now: Timestamp) {
        nextDue = now
        startedAt = now
    }

    /// When the next probe is due (for the node's timer).
    public var nextCheck: Timestamp { nextDue }

    /// The servers to probe now, chosen from `candidates` (bootstrap nodes first, then DHT contacts: every DHT node
    /// answers STUN on its port): IPv4 only (the probe uses one IPv4 socket), no address twice, different IP
    /// addresses before a second port of the same one, at most `maximumServers`. Nil when not due or running;
    /// when there is nobody to ask, it waits `retryInterval`.
    public mutating func begin(now: Timestamp, candidates: [TransportAddress]) -> [TransportAddress]? {
        guard !running, now >= nextDue else { return nil }
        var seen = Set<TransportAddress>()
        let usable = candidates.filter { $0.ip.bytes.count == 4 && $0.port != 0 && seen.insert($0).inserted }
        var ips = Set<[UInt8]>()
        let firstOfEachIP = usable.filter { ips.insert($0.ip.bytes).inserted }
        let rest = usable.filter { !firstOfEachIP.contains($0) }
        let servers = Array((firstOfEachIP + rest).prefix(NATWatch.maximumServers))
        guard !servers.isEmpty else {
            nextDue =
                now
                + (measuredAt == nil && now < startedAt + NATWatch.startupGrace
                    ? NATWatch.startupPoll : NATWatch.retryInterval)
            return nil
        }
        if servers.count < 2, measuredAt == nil, now < startedAt + NATWatch.startupGrace {
            nextDue = now + NATWatch.startupPoll
            return nil
        }
        running = true
        asked = servers.count
        return servers
    }

    /// Takes a finished probe's report. A report with fewer than two answers is kept (its certainty says how little
    /// it knows) and the next probe comes after `retryInterval`; a fully certain one stands for `interval`.
    public mutating func finish(_ report: NATReport, now: Timestamp) {
        running = false
        latest = report
        measuredAt = now
        nextDue = now + (report.certainty == .full ? NATWatch.interval : NATWatch.retryInterval)
    }

    /// A probe that could not run (the socket did not bind): try again after `retryInterval`.
    public mutating func failed(now: Timestamp) {
        running = false
        nextDue = now + NATWatch.retryInterval
    }

    /// What `GET /v1/status` shows: nil until a probe has finished.
    public func status(format: (Timestamp) -> String) -> NATStatus? {
        guard let latest, let measuredAt else { return nil }
        return NATStatus(
            natClass: latest.natClass.rawValue,
            certainty: latest.certainty.rawValue,
            publicAddress: latest.publicAddress,
            serversAsked: asked,
            serversAnswered: latest.servers.filter { $0.mapped != nil }.count,
            measuredAt: format(measuredAt)
        )
    }
}
