/// A relay's WebSocket URL, `ws://host:port/path` or `wss://…`, as adverts and agent records carry it.
///
/// Parsed strictly and without Foundation: a bracketed IPv6 host, an explicit or default port (80/443), and
/// a path (default `/relay`). Anything else (user info, queries, fragments) is refused.
public struct RelayAddress: Hashable, Sendable, CustomStringConvertible {
    public var secure: Bool
    public var host: String
    public var port: Int
    public var path: String

    public init(secure: Bool = false, host: String, port: Int, path: String = "/relay") {
        self.secure = secure
        self.host = host
        self.port = port
        self.path = path
    }

    public init?(_ text: String) {
        guard text.utf8.count <= RelayAdvert.maximumAddressBytes else { return nil }
        let rest: Substring
        if text.hasPrefix("ws://") {
            secure = false
            rest = text.dropFirst(5)
        } else if text.hasPrefix("wss://") {
            secure = true
            rest = text.dropFirst(6)
        } else {
            return nil
        }
        let authority = rest.prefix { $0 != "/" }
        let path = rest.dropFirst(authority.count)
        guard !path.contains("?"), !path.contains("#"), !authority.contains("@") else { return nil }
        self.path = path.isEmpty || path == "/" ? "/relay" : String(path)
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return nil }
                portText = after.dropFirst()
            }
        } else {
            let parts = authority.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 2 else { return nil }
            host = String(parts[0])
            if parts.count == 2 { portText = parts[1] }
        }
        guard !host.isEmpty else { return nil }
        if let portText {
            guard let port = Int(portText), (1...65_535).contains(port) else { return nil }
            self.port = port
        } else {
            port = secure ? 443 : 80
        }
    }

    public var description: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "\(secure ? "wss" : "ws")://\(shownHost):\(port)\(path)"
    }
}
