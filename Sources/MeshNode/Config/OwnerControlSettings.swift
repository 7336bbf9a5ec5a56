import Foundation
import MeshCore
import MeshPeer

/// `audit` in config.json: what the audit log keeps. Bodies are recorded only when the owner opts in.
public struct AuditSettings: Hashable, Sendable, Decodable {
    /// Record message bodies (sent and received) in the log. Off by default: the log then holds metadata only.
    public var recordBodies = false
    public var maximumEntries = 100_000
    public var maximumAgeDays = 90

    public init() {}

    static let keys = ["recordBodies", "maximumEntries", "maximumAgeDays"]

    public init(from decoder: any Decoder) throws {
        try decoder.refuseUnknownKeys(AuditSettings.keys, in: "audit")
        let c = try decoder.container(keyedBy: AnyCodingKey.self)
        func key(_ name: String) -> AnyCodingKey { AnyCodingKey(stringValue: name) }
        recordBodies = try c.decodeIfPresent(Bool.self, forKey: key("recordBodies")) ?? recordBodies
        maximumEntries = try c.decodeIfPresent(Int.self, forKey: key("maximumEntries")) ?? maximumEntries
        maximumAgeDays = try c.decodeIfPresent(Int.self, forKey: key("maximumAgeDays")) ?? maximumAgeDays
        guard (100...10_000_000).contains(maximumEntries) else {
            throw ConfigurationError("audit.maximumEntries must be 100...10000000, not \(maximumEntries)")
        }
        guard (1...3_650).contains(maximumAgeDays) else {
            throw ConfigurationError("audit.maximumAgeDays must be 1...3650, not \(maximumAgeDays)")
        }
    }

    public var retention: AuditRetention {
        AuditRetention(maximumEntries: maximumEntries, maximumAge: .seconds(Int64(maximumAgeDays) * 86_400))
    }
}

/// `breaker` in config.json: the circuit breaker's token buckets and anomaly thresholds (`BreakerLimits`).
/// A threshold count of 0 turns that automatic trip off.
public struct BreakerSettings: Hashable, Sendable, Decodable {
    public var limits = BreakerLimits()

    public init() {}

    static let rates = ["perPeer", "perIntent"]
    static let thresholds = ["sendSpike", "newContacts", "decryptFailures", "newPeers"]

    public init(from decoder: any Decoder) throws {
        try decoder.refuseUnknownKeys(BreakerSettings.rates + BreakerSettings.thresholds, in: "breaker")
        let c = try decoder.container(keyedBy: AnyCodingKey.self)
        func key(_ name: String) -> AnyCodingKey { AnyCodingKey(stringValue: name) }
        if let rate = try c.decodeIfPresent(Rate.self, forKey: key("perPeer")) { limits.perPeer = rate.tokenRate }
        if let rate = try c.decodeIfPresent(Rate.self, forKey: key("perIntent")) { limits.perIntent = rate.tokenRate }
        func threshold(_ name: String) throws -> BreakerLimits.Threshold? {
            try c.decodeIfPresent(Threshold.self, forKey: key(name)).map {
                BreakerLimits.Threshold(count: $0.count, window: .seconds($0.windowSeconds))
            }
        }
        limits.sendSpike = try threshold("sendSpike") ?? limits.sendSpike
        limits.newContacts = try threshold("newContacts") ?? limits.newContacts
        limits.decryptFailures = try threshold("decryptFailures") ?? limits.decryptFailures
        limits.newPeers = try threshold("newPeers") ?? limits.newPeers
    }

    /// `{"perSecond": 20, "burst": 200}`.
    struct Rate: Decodable {
        var perSecond: Double
        var burst: Double
        var tokenRate: TokenRate { TokenRate(perSecond: perSecond, burst: burst) }

        init(from decoder: any Decoder) throws {
            try decoder.refuseUnknownKeys(["perSecond", "burst"], in: "breaker rate")
            let c = try decoder.container(keyedBy: AnyCodingKey.self)
            perSecond = try c.decode(Double.self, forKey: AnyCodingKey(stringValue: "perSecond"))
            burst = try c.decode(Double.self, forKey: AnyCodingKey(stringValue: "burst"))
            guard perSecond.isFinite, perSecond > 0, burst.isFinite, burst >= 1 else {
                throw ConfigurationError("a breaker rate needs perSecond > 0 and burst >= 1")
            }
        }
    }

    /// `{"count": 3000, "windowSeconds": 60}`.
    struct Threshold: Decodable {
        var count: Int
        var windowSeconds: Int64

        init(from decoder: any Decoder) throws {
            try decoder.refuseUnknownKeys(["count", "windowSeconds"], in: "breaker threshold")
            let c = try decoder.container(keyedBy: AnyCodingKey.self)
            count = try c.decode(Int.self, forKey: AnyCodingKey(stringValue: "count"))
            windowSeconds = try c.decode(Int64.self, forKey: AnyCodingKey(stringValue: "windowSeconds"))
            guard (0...BreakerLimits.maximumThresholdCount).contains(count), (1...86_400).contains(windowSeconds) else {
                throw ConfigurationError(
                    "a breaker threshold needs count 0...\(BreakerLimits.maximumThresholdCount) and windowSeconds 1...86400"
                )
            }
        }
    }
}
