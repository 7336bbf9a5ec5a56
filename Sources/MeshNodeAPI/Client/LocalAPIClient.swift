import Foundation
import MeshPeer
import NIOCore
import NIOHTTP1

/// The local API from the agent's side, as the CLI verbs and the tests use it. Every method returns the API's
/// models or throws the `NodeAPIError` the node answered with (or `.unavailable` when it cannot be reached).
public struct LocalAPIClient: Sendable {
    /// The API's base URL, such as `http://127.0.0.1:41234`.
    public let baseURL: String
    let token: APIToken
    let http: LoopbackHTTP

    /// The node running on data directory `directory`: its `api.json` and `api-token`. Runs on the caller's
    /// event-loop group (a CLI verb makes one for its run; a node passes its own).
    public init(directory: String, eventLoopGroup: any EventLoopGroup) throws(NodeAPIError) {
        let endpoint = try APIEndpointFile.read(from: directory)
        let token: APIToken
        do {
            token = try APIToken.load(from: directory)
        } catch {
            throw NodeAPIError(.unauthorized, error.description)
        }
        try self.init(baseURL: endpoint.url, token: token, eventLoopGroup: eventLoopGroup)
    }

    /// A node at `baseURL` (`http://HOST:PORT`, with an IPv6 host in brackets).
    public init(baseURL: String, token: APIToken, eventLoopGroup: any EventLoopGroup) throws(NodeAPIError) {
        guard let (host, port) = Self.parse(baseURL) else {
            throw NodeAPIError(.badRequest, "'\(baseURL)' is not an http://HOST:PORT URL")
        }
        self.baseURL = baseURL
        self.token = token
        self.http = LoopbackHTTP(group: eventLoopGroup, host: host, port: port)
    }

    static func parse(_ url: String) -> (host: String, port: Int)? {
        guard url.hasPrefix("http://") else { return nil }
        var rest = url.dropFirst("http://".count)
        while rest.hasSuffix("/") { rest = rest.dropLast() }
        guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]),
            (1...65_535).contains(port)
        else { return nil }
        var host = rest[..<colon]
        if host.hasPrefix("[") && host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        guard !host.isEmpty else { return nil }
        return (String(host), port)
    }

    // MARK: Endpoints

    public func status() async throws(NodeAPIError) -> NodeStatus {
        try await call(.GET, "/v1/status")
    }

    public func find(_ query: FindQuery) async throws(NodeAPIError) -> [AgentSummary] {
        switch query {
        case .capability(let capability): try await call(.GET, "/v1/find?capability=\(Self.escape(capability))")
        case .did(let did): try await call(.GET, "/v1/find?did=\(Self.escape(did))")
        case .words(let words): try await call(.GET, "/v1/find?q=\(Self.escape(words))")
        }
    }

    public func knock(_ request: KnockRequest) async throws(NodeAPIError) -> KnockSummary {
        try await call(.POST, "/v1/knocks", body: request)
    }

    public func knocks() async throws(NodeAPIError) -> [KnockSummary] {
        try await call(.GET, "/v1/knocks")
    }

    /// Approves (`accept`) or denies a held knock.
    public func decide(knock id: String, accept: Bool, reason: String? = nil) async throws(NodeAPIError) -> KnockSummary
    {
        let path = "/v1/knocks/\(Self.escape(id))/\(accept ? "approve" : "deny")"
        return try await call(.POST, path, body: KnockDecisionRequest(reason: reason))
    }

    public func send(_ request: SendRequest) async throws(NodeAPIError) -> SentMessage {
        try await call(.POST, "/v1/messages", body: request)
    }

    /// Received messages after `cursor`; with `wait`, the node holds the request up to that long for one.
    public func messages(
        after cursor: Int64 = 0,
        limit: Int = 100,
        wait: Duration? = nil
    ) async throws(NodeAPIError)
        -> MessagePage
    {
        var path = "/v1/messages?after=\(cursor)&limit=\(limit)"
        if let wait {
            let seconds = Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18
            path += "&wait=\(seconds)"
        }
        return try await call(.GET, path)
    }

    public func sentMessage(id: String) async throws(NodeAPIError) -> SentMessage {
        try await call(.GET, "/v1/messages/sent/\(Self.escape(id))")
    }

    public func contacts() async throws(NodeAPIError) -> [ContactSummary] {
        try await call(.GET, "/v1/contacts")
    }

    public func rotateKnockToken() async throws(NodeAPIError) -> KnockTokenRotation {
        try await call(.POST, "/v1/knock-token/rotate")
    }

    /// The node's Prometheus text.
    public func metrics() async throws(NodeAPIError) -> String {
        let reply = try await perform(.GET, "/metrics", body: nil)
        return String(buffer: reply.body)
    }

    /// Percent-encodes a query value or path segment (everything but unreserved characters).
    static func escape(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics.intersection(
            CharacterSet(charactersIn: Unicode.Scalar(0)..<Unicode.Scalar(128))
        )
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
