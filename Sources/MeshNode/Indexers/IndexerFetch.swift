import Foundation
import MeshCore
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import RelayClient

/// One GET to an indexer (the node's `indexers`, the devnet's search step): on the caller's event-loop group, over
/// TLS with the system's trust roots for `https`, with a deadline on the whole exchange and a bound on the body it
/// reads. An indexer is a stranger's server, so it gets no more than this.
///
/// Foundation's `URLSession` did this before: it read the whole answer into memory before its size could be
/// checked (a hostile indexer could send gigabytes), its timeout was per read (a server dripping a byte every few
/// seconds held a search forever), it ran on threads of its own beside the node's one event-loop group, and it
/// loaded libcurl into the node with some thirty libraries behind it (GnuTLS, Kerberos, LDAP, SSH, RTMP).
struct IndexerFetch: Sendable {
    let group: any EventLoopGroup
    /// The largest body read; a larger answer is refused as soon as it is seen to be larger.
    var maximumBytes = 1 << 20
    /// For the whole exchange: connecting, TLS, the request and the answer's last byte.
    var timeout: Duration = .seconds(5)
    /// TLS for `https` (nil: the system's roots, checked against the URL's host).
    var tls: RelayClientTLS?

    struct Reply: Sendable, Equatable {
        var status: Int
        var body: [UInt8]
    }

    struct Failure: Error, Equatable, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// The parts of an `http://` or `https://` URL this client needs, or nil for anything else.
    struct Target: Equatable {
        var secure: Bool
        var host: String
        var port: Int
        /// The path and query, percent-encoded as given (at least "/").
        var resource: String

        init?(_ url: String) {
            guard let parts = URLComponents(string: url), let scheme = parts.scheme?.lowercased(),
                scheme == "http" || scheme == "https", let host = parts.host, !host.isEmpty, parts.user == nil
            else { return nil }
            secure = scheme == "https"
            // URLComponents keeps an IPv6 literal's brackets in `host` on some platforms.
            self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
            port = parts.port ?? (secure ? 443 : 80)
            guard (1...65_535).contains(port) else { return nil }
            let path = parts.percentEncodedPath.isEmpty ? "/" : parts.percentEncodedPath
            resource = parts.percentEncodedQuery.map { path + "?" + $0 } ?? path
        }

        var hostHeader: String {
            let name = host.contains(":") ? "[\(host)]" : host
            return port == (secure ? 443 : 80) ? name : "\(name):\(port)"
        }
    }

    /// GETs `url` and returns the status and body; throws `Failure` when the URL is not one, the exchange does not
    /// finish within `timeout`, or the body is larger than `maximumBytes`, and the connection's error otherwise.
    func get(_ url: String, accept: String = "application/json") async throws -> Reply {
        guard let target = Target(url) else { throw Failure("\(url) is not an http:// or https:// URL") }
        let tls = target.secure ? try (self.tls ?? RelayClientTLS.system()) : nil
        let timedOut = Failure("\(target.hostHeader) did not answer within \(timeout)")
        let exchange: @Sendable () async throws -> Reply = { try await self.exchange(target, tls: tls, accept: accept) }
        return try await withDeadline(timeout, timedOut: { timedOut }, exchange)
    }

    private func exchange(_ target: Target, tls: RelayClientTLS?, accept: String) async throws -> Reply {
        let maximumBytes = self.maximumBytes
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(.seconds(5))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(host: target.host, port: target.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        let name = tls.hostname(connectingTo: target.host)
                        try channel.pipeline.syncOperations.addHandler(
                            NIOSSLClientHandler(context: tls.context, serverHostname: name)
                        )
                    }
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(
                        wrappingChannelSynchronously: channel
                    )
                }
            }
        let underlying = channel.channel
        return try await withTaskCancellationHandler {
            try await channel.executeThenClose { inbound, outbound in
                var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: target.resource)
                head.headers.add(name: "Host", value: target.hostHeader)
                head.headers.add(name: "Accept", value: accept)
                head.headers.add(name: "User-Agent", value: "meshpeer")
                head.headers.add(name: "Connection", value: "close")
                do {
                    try await outbound.write(.head(head))
                    try await outbound.write(.end(nil))
                } catch {
                    // A server may answer and close before our request's end is written: its answer is still
                    // read below, and with none the exchange fails there.
                }
                var reply: Reply?
                for try await part in inbound {
                    switch part {
                    case .head(let answer):
                        // 1xx interim answers carry no body and precede the real one.
                        guard answer.status.code >= 200 else { continue }
                        if let length = answer.headers.first(name: "Content-Length").flatMap(Int.init),
                            length > maximumBytes
                        {
                            throw Failure(
                                "\(target.hostHeader) answers \(length) bytes; at most \(maximumBytes) are read"
                            )
                        }
                        reply = Reply(status: Int(answer.status.code), body: [])
                    case .body(let buffer):
                        guard reply != nil else { continue }
                        guard reply!.body.count + buffer.readableBytes <= maximumBytes else {
                            throw Failure("\(target.hostHeader) answers more than \(maximumBytes) bytes")
                        }
                        reply!.body += buffer.readableBytesView
                    case .end:
                        if let reply { return reply }
                    }
                }
                throw Failure("\(target.hostHeader) closed the connection before answering")
            }
        } onCancel: {
            underlying.close(promise: nil)
        }
    }
}
