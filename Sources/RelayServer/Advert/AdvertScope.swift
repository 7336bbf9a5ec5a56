import Foundation
import RelayFallback

/// Who can reach an address a relay advertises. A relay's advert goes to the whole DHT, so an address that only
/// this machine or this LAN can reach (`ws://127.0.0.1`, `ws://192.168.1.5`) sends every client that tries it to
/// the wrong place or nowhere. Relays refuse to advertise such addresses, and clients skip them, outside a lab
/// (`--lab`, config `"lab": true`): a test network on one machine or on a private network. Decision 0078.
///
/// Host names are judged by their name only (`localhost`, `*.localhost`, `*.local`, `*.internal`, `*.lan`,
/// `*.home.arpa`); what a public name resolves to is not checked here.
public enum AdvertScope: String, Sendable, Equatable, CaseIterable {
    case global
    case loopback
    case `private`
    case linkLocal = "link-local"
    /// 0.0.0.0, ::, multicast, broadcast, documentation and other reserved ranges: nobody can connect to them.
    case unroutable

    public var isGlobal: Bool { self == .global }

    /// The scope of a ws:// or wss:// URL's host (nil when the URL does not parse).
    public static func of(url text: String) -> AdvertScope? {
        RelayAddress(text).map { of(host: $0.host) }
    }

    /// True when every `host:port` names a non-global IP literal (a node listening only on loopback or private
    /// addresses is in a lab, and relays in the same lab are what it can reach); false for an empty list, a
    /// wildcard (0.0.0.0, ::) or a public address.
    public static func isLab(listen: [String]) -> Bool {
        !listen.isEmpty
            && listen.allSatisfy { text in
                guard let (host, _) = try? RelayServerConfiguration.split(text, key: "listen"),
                    !["0.0.0.0", "::", ""].contains(host)
                else { return false }
                let scope = of(host: host)
                return scope == .loopback || scope == .private || scope == .linkLocal
            }
    }

    public static func of(host raw: String) -> AdvertScope {
        var host = raw.lowercased()
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if let zone = host.firstIndex(of: "%") { host = String(host[..<zone]) }
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 { return ipv4(withUnsafeBytes(of: &v4) { Array($0) }) }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 { return ipv6(withUnsafeBytes(of: &v6) { Array($0) }) }
        let name = host.hasSuffix(".") ? String(host.dropLast()) : host
        if name == "localhost" || name.hasSuffix(".localhost") { return .loopback }
        for suffix in [".local", ".internal", ".lan", ".home.arpa"] where name.hasSuffix(suffix) { return .private }
        if !name.contains(".") { return .private }  // a bare name resolves through a local search domain at best
        return .global
    }

    static func ipv4(_ b: [UInt8]) -> AdvertScope {
        switch (b[0], b[1]) {
        case (127, _): return .loopback
        case (10, _), (172, 16...31), (192, 168): return .private
        case (100, 64...127): return .private  // carrier-grade NAT (RFC 6598)
        case (169, 254): return .linkLocal
        case (0, _), (224...255, _): return .unroutable
        case (192, 0) where b[2] == 2, (198, 51) where b[2] == 100, (203, 0) where b[2] == 113: return .unroutable
        case (198, 18...19): return .unroutable  // benchmarking (RFC 2544)
        default: return .global
        }
    }

    static func ipv6(_ b: [UInt8]) -> AdvertScope {
        if b.prefix(10).allSatisfy({ $0 == 0 }) && b[10] == 0xFF && b[11] == 0xFF { return ipv4(Array(b.suffix(4))) }
        if b.prefix(15).allSatisfy({ $0 == 0 }) { return b[15] == 1 ? .loopback : .unroutable }
        if b[0] == 0xFE && b[1] & 0xC0 == 0x80 { return .linkLocal }
        if b[0] & 0xFE == 0xFC { return .private }  // unique local fc00::/7
        if b[0] == 0xFF { return .unroutable }  // multicast
        if b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0D && b[3] == 0xB8 { return .unroutable }  // 2001:db8::/32
        return .global
    }

    /// Why `url` may not be advertised to (or used from) the public DHT, or nil when it may.
    public static func refusal(url: String) -> String? {
        // A URL that does not parse is refused elsewhere (RelayAdvert.validate); here it is not "global".
        guard let scope = of(url: url) else { return "\(url) is not a ws:// or wss:// URL" }
        guard !scope.isGlobal else { return nil }
        return "\(url) is a \(scope.rawValue) address, not reachable from the internet"
    }
}
