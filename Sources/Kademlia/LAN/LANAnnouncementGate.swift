import MeshCore

/// Decides what to do with one LAN announcement (sans-IO: the datagram, its source and the instant go in, a verdict
/// comes out). The IPv4 and IPv6 listeners of one node share one gate, so the limits hold across families.
///
/// - An announcer is pinged at most once per `interval` (the announcement period), counted per announced endpoint
///   (source IP and DHT port), in `KeyedRateLimiter`'s bounded table of `rememberedSources` endpoints: a flood of
///   forged announcements costs one ping per endpoint per interval and bounded memory. All endpoints together get
///   at most `rememberedSources` pings per interval, so forgetting endpoints under a flood of fresh ones cannot
///   raise the rate.
/// - An IPv6 link-local source (fe80::/10) is refused: a DHT address carries no scope (interface), so the contact
///   could not be reached on a multi-homed host and would be useless to every node it is passed on to. Announcers
///   send from a global or unique-local address instead (decision 0108).
/// - The unspecified address, multicast and port 0 cannot be pinged; our own announcements come back by loopback.
public struct LANAnnouncementGate: Sendable {
    public enum Verdict: Hashable, Sendable {
        /// Ping this address (the announcer's source IP, its announced DHT port).
        case ping(TransportAddress)
        case ignored(Reason)
    }

    public enum Reason: String, Hashable, Sendable, CaseIterable {
        case malformed
        case ownAnnouncement = "own-announcement"
        case linkLocalSource = "link-local-source"
        case unusableSource = "unusable-source"
        case rateLimited = "rate-limited"
    }

    public static let defaultRememberedSources = 256

    public let localID: NodeID
    private var limiter: KeyedRateLimiter<TransportAddress>
    /// How many announcements were ignored, by reason (for reports; the first of each reason is worth a note).
    public private(set) var ignored: [Reason: Int] = [:]

    public init(localID: NodeID, interval: Duration, rememberedSources: Int = Self.defaultRememberedSources) {
        self.localID = localID
        let seconds = max(Double(interval.nanoseconds) / 1e9, 0.001)
        let remembered = max(rememberedSources, 1)
        limiter = KeyedRateLimiter(
            limits: .init(
                perKey: TokenRate(perSecond: 1 / seconds, burst: 1),
                total: TokenRate(perSecond: Double(remembered) / seconds, burst: Double(remembered)),
                maximumKeys: remembered
            )
        )
    }

    /// How many announcer endpoints the gate remembers now (at most `rememberedSources`).
    public var rememberedSources: Int { limiter.trackedKeys }

    public mutating func receive(_ datagram: [UInt8], from source: TransportAddress, now: Timestamp) -> Verdict {
        let verdict = decide(datagram, from: source, now: now)
        if case .ignored(let reason) = verdict { ignored[reason, default: 0] += 1 }
        return verdict
    }

    private mutating func decide(_ datagram: [UInt8], from source: TransportAddress, now: Timestamp) -> Verdict {
        guard datagram.count == LANAnnouncement.datagramByteCount,
            let announcement = try? LANAnnouncement(datagram: datagram)
        else { return .ignored(.malformed) }
        guard announcement.nodeID != localID else { return .ignored(.ownAnnouncement) }
        if Self.isLinkLocal(source.ip.bytes) { return .ignored(.linkLocalSource) }
        guard announcement.dhtPort != 0, !Self.isUnusable(source.ip.bytes) else { return .ignored(.unusableSource) }
        let target = TransportAddress(ip: source.ip, port: announcement.dhtPort)
        guard limiter.allow(target, now: now) else { return .ignored(.rateLimited) }
        return .ping(target)
    }

    /// fe80::/10.
    public static func isLinkLocal(_ ip: [UInt8]) -> Bool {
        ip.count == 16 && ip[0] == 0xFE && (ip[1] & 0xC0) == 0x80
    }

    /// Unspecified (0.0.0.0, ::), multicast (224.0.0.0/4, ff00::/8) or IPv4 broadcast.
    static func isUnusable(_ ip: [UInt8]) -> Bool {
        if ip.allSatisfy({ $0 == 0 }) { return true }
        if ip.count == 4 { return ip[0] >= 224 }
        return ip[0] == 0xFF
    }
}
