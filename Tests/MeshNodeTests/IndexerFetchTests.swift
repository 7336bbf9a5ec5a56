import Foundation
import MeshCore
import NIOCore
import NIOPosix
import NIOSSL
import RelayClient
import TestSupport
import Testing

@testable import MeshNode

/// The node's GET to an indexer, against real servers on loopback that answer canned bytes: what a hostile or
/// broken indexer can do (a huge body, declared or not; no answer at all) costs the node at most the bound and the
/// deadline, and `https` checks the certificate.
@Suite struct IndexerFetchTests {
    static let group = MultiThreadedEventLoopGroup.singleton

    /// Answers each connection's first request with `answer` (nil: never answers) and keeps what it was sent.
    final class CannedAnswer: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let answer: [UInt8]?
        let received: LockedValue<[UInt8]>
        var request: [UInt8] = []
        var answered = false

        init(answer: [UInt8]?, received: LockedValue<[UInt8]>) {
            self.answer = answer
            self.received = received
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            request += Self.unwrapInboundIn(data).readableBytesView
            received.withLock { $0 = request }
            guard !answered, let answer, request.count >= 4, request.suffix(4) == Array("\r\n\r\n".utf8) else { return }
            answered = true
            let channel = context.channel
            context.writeAndFlush(Self.wrapOutboundOut(ByteBuffer(bytes: answer))).whenComplete { _ in
                channel.close(promise: nil)
            }
        }
    }

    struct Server {
        let channel: any Channel
        let received: LockedValue<[UInt8]>
        var port: Int { channel.localAddress?.port ?? 0 }
    }

    static func serve(_ answer: String?, tls: NIOSSLContext? = nil) async throws -> Server {
        let received = LockedValue<[UInt8]>([])
        let bytes = answer.map { Array($0.utf8) }
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try channel.pipeline.syncOperations.addHandler(CannedAnswer(answer: bytes, received: received))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return Server(channel: channel, received: received)
    }

    @Test func aGETReadsTheAnswerAndNamesTheHost() async throws {
        let server = try await Self.serve("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
        defer { server.channel.close(promise: nil) }
        let reply = try await IndexerFetch(group: Self.group).get("http://127.0.0.1:\(server.port)/v1/search?q=legal")
        #expect(reply == IndexerFetch.Reply(status: 200, body: Array("hello".utf8)))
        let request = String(decoding: server.received.withLock { $0 }, as: UTF8.self)
        #expect(request.hasPrefix("GET /v1/search?q=legal HTTP/1.1\r\n"))
        #expect(request.contains("\r\nHost: 127.0.0.1:\(server.port)\r\n"))
    }

    @Test func aBodyDeclaredLargerThanTheBoundIsRefusedBeforeItIsRead() async throws {
        let server = try await Self.serve("HTTP/1.1 200 OK\r\nContent-Length: 5000000000\r\n\r\n{")
        defer { server.channel.close(promise: nil) }
        var fetch = IndexerFetch(group: Self.group)
        fetch.maximumBytes = 1_024
        await #expect(throws: IndexerFetch.Failure.self) { try await fetch.get("http://127.0.0.1:\(server.port)/") }
    }

    @Test func aBodyThatGrowsPastTheBoundWithoutALengthIsRefused() async throws {
        let body = String(repeating: "x", count: 4_096)
        let server = try await Self.serve("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + body)
        defer { server.channel.close(promise: nil) }
        var fetch = IndexerFetch(group: Self.group)
        fetch.maximumBytes = 1_024
        let error = await #expect(throws: IndexerFetch.Failure.self) {
            try await fetch.get("http://127.0.0.1:\(server.port)/")
        }
        #expect(error?.description.contains("more than 1024 bytes") == true)
        // The same answer within a larger bound is read whole (the close ends it).
        fetch.maximumBytes = 8_192
        #expect(try await fetch.get("http://127.0.0.1:\(server.port)/").body.count == 4_096)
    }

    /// Without the deadline the GET would wait forever (the server never answers nor closes): the time limit turns
    /// that into a failure, without timing the test itself (the machine may be loaded).
    @Test(.timeLimit(.minutes(1))) func aServerThatNeverAnswersCostsTheDeadline() async throws {
        let server = try await Self.serve(nil)
        defer { server.channel.close(promise: nil) }
        var fetch = IndexerFetch(group: Self.group)
        fetch.timeout = .milliseconds(300)
        let error = await #expect(throws: IndexerFetch.Failure.self) {
            try await fetch.get("http://127.0.0.1:\(server.port)/")
        }
        let said = error?.description ?? "no error"
        #expect(said.contains("did not answer within 0.3 seconds"), "\(said)")
    }

    @Test func httpsChecksTheCertificate() async throws {
        let directory = TestDirectory.make("indexer-tls").path
        let (certificate, key) = try TestCertificate.make(in: directory, file: "indexer")
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
        )
        configuration.minimumTLSVersion = .tlsv12
        let server = try await Self.serve(
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}",
            tls: try NIOSSLContext(configuration: configuration)
        )
        defer { server.channel.close(promise: nil) }
        var trusting = IndexerFetch(group: Self.group)
        trusting.tls = try RelayClientTLS(trustedCertificates: certificate, serverHostname: "localhost")
        #expect(try await trusting.get("https://127.0.0.1:\(server.port)/v1/search?q=x").body == Array("{}".utf8))
        // The system's roots do not include a certificate made a moment ago.
        await #expect(throws: (any Error).self) {
            try await IndexerFetch(group: Self.group).get("https://localhost:\(server.port)/v1/search?q=x")
        }
    }

    @Test func onlyHTTPAndHTTPSURLsAreTargets() {
        let v6 = IndexerFetch.Target("https://[2001:db8::1]:8443/v1/search?q=a%20b")
        #expect(v6?.host == "2001:db8::1")
        #expect(v6?.port == 8443)
        #expect(v6?.resource == "/v1/search?q=a%20b")
        #expect(v6?.hostHeader == "[2001:db8::1]:8443")
        #expect(IndexerFetch.Target("http://indexer.example")?.resource == "/")
        #expect(IndexerFetch.Target("http://indexer.example")?.hostHeader == "indexer.example")
        #expect(IndexerFetch.Target("https://indexer.example")?.port == 443)
        for refused in ["ftp://indexer.example/", "http://user@indexer.example/", "indexer.example", "http://"] {
            #expect(IndexerFetch.Target(refused) == nil, "\(refused)")
        }
    }
}
