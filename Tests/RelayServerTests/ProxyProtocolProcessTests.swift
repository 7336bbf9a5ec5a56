import Foundation
import MeshCore
import RelayFallback
import Testing

@testable import RelayServer

/// Decision 0103: a real `meshpeer relay --proxy-protocol` process. Connections from 127.0.0.2 play a TCP-mode
/// proxy (trusted) that writes a PROXY v2 header; connections from 127.0.0.1 are direct clients (not trusted).
@Suite struct ProxyProtocolProcessTests {
    static let proxy = "127.0.0.2"

    /// A PROXY v2 header (command PROXY, TCP over IPv4) naming `client`, as HAProxy's `send-proxy-v2` writes it.
    static func header(client: [UInt8], port: UInt16 = 40_000) -> [UInt8] {
        ProxyHeaderDecoder.signature + [0x21, 0x11, 0x00, 0x0C] + client + [127, 0, 0, 1]
            + [UInt8(port >> 8), UInt8(port & 0xFF), 0x1C, 0xE8]
    }

    static let local = ProxyHeaderDecoder.signature + [0x20, 0x00, 0x00, 0x00]

    static func upgrade(forwardedFor: String? = nil) -> [UInt8] {
        Array(
            ("GET /relay HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + (forwardedFor.map { "X-Forwarded-For: \($0)\r\n" } ?? "")
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").utf8
        )
    }

    func start(_ data: String) async throws -> RelayProcess {
        try await RelayProcess.start(
            dataDirectory: data,
            limits: ["connectionsPerSource": 2],
            arguments: ["--trusted-proxy", Self.proxy, "--proxy-protocol"]
        )
    }

    func outcomes(_ relay: RelayProcess) throws -> [String: Int] {
        let metrics = try relay.http("/metrics")
        var counts: [String: Int] = [:]
        for line in metrics.body.split(separator: "\n") where line.hasPrefix("meshpeer_relay_proxy_headers_total{") {
            guard let open = line.range(of: "outcome=\""), let close = line[open.upperBound...].firstIndex(of: "\""),
                let value = line.split(separator: " ").last.flatMap({ Double($0) })
            else { continue }
            counts[String(line[open.upperBound..<close])] = Int(value)
        }
        return counts
    }

    @Test func clientsBehindTheProxyAreCountedByTheHeadersAddress() async throws {
        let data = RelayProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let relay = try await start(data)
        defer { relay.cleanUp() }
        let port = relay.port
        // The header alone first (HAProxy writes it at connect), then the request; and both in one write.
        let first = try Probe(
            port: port,
            from: Self.proxy,
            sends: [Self.header(client: [198, 51, 100, 1]), Self.upgrade()]
        )
        let second = try Probe(
            port: port,
            from: Self.proxy,
            sends: [Self.header(client: [198, 51, 100, 1]) + Self.upgrade()]
        )
        let other = try Probe(
            port: port,
            from: Self.proxy,
            sends: [Self.header(client: [198, 51, 100, 2]) + Self.upgrade()]
        )
        // 198.51.100.1's third: its X-Forwarded-For is the client's own writing and names no one.
        let third = try Probe(
            port: port,
            from: Self.proxy,
            sends: [Self.header(client: [198, 51, 100, 1]) + Self.upgrade(forwardedFor: "203.0.113.50")]
        )
        let fifth = try Probe(
            port: port,
            from: Self.proxy,
            sends: [Self.header(client: [198, 51, 100, 3]) + Self.upgrade()]
        )
        #expect(first.isChallenged && second.isChallenged && other.isChallenged && fifth.isChallenged)
        #expect(third.refusal == .tooManyConnections, "198.51.100.1 has its own allowance of 2, already used")
        // The proxy's own health check: LOCAL, then an ordinary request.
        let health = try Probe(
            port: port,
            from: Self.proxy,
            sends: [Self.local + Array("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)]
        )
        #expect(health.status == 200)
        let counts = try outcomes(relay)
        #expect(counts["proxied"] == 5 && counts["local"] == 1, "\(counts)")
        withExtendedLifetime([first, second, other, third, fifth, health]) {}
    }

    @Test func noPeerButATrustedProxyCanClaimAnAddress() async throws {
        let data = RelayProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let relay = try await start(data)
        defer { relay.cleanUp() }
        let port = relay.port
        // A direct client forging a header: closed before any answer, and counted.
        let forged = try Probe(
            port: port,
            from: "127.0.0.1",
            sends: [Self.header(client: [198, 51, 100, 7]) + Self.upgrade()]
        )
        let forgedText = try Probe(
            port: port,
            from: "127.0.0.1",
            sends: [Array("PROXY TCP4 198.51.100.8 127.0.0.1 4000 7400\r\n".utf8) + Self.upgrade()]
        )
        #expect(forged.closedWithoutAnswer && forgedText.closedWithoutAnswer)
        // A direct client without one is served as before (the listener serves both).
        let direct = try Probe(port: port, from: "127.0.0.1", sends: [Self.upgrade()])
        #expect(direct.isChallenged)
        // The trusted proxy must send a header: a bare request and malformed ones close. A version 1 line (what
        // nginx's stream module writes) is read like version 2.
        let bare = try Probe(port: port, from: Self.proxy, sends: [Self.upgrade()])
        let textual = try Probe(
            port: port,
            from: Self.proxy,
            sends: [Array("PROXY TCP4 198.51.100.1 127.0.0.1 4000 7400\r\n".utf8) + Self.upgrade()]
        )
        var short = Self.header(client: [198, 51, 100, 1])
        short[15] = 0x08  // 8 bytes cannot hold two IPv4 addresses and ports
        let malformed = try Probe(port: port, from: Self.proxy, sends: [short + Self.upgrade()])
        let badText = try Probe(
            port: port,
            from: Self.proxy,
            sends: [Array("PROXY TCP4 198.51.100.300 127.0.0.1 4000 7400\r\n".utf8) + Self.upgrade()]
        )
        #expect(textual.isChallenged)
        #expect(bare.closedWithoutAnswer && malformed.closedWithoutAnswer && badText.closedWithoutAnswer)
        // A proxy connection that stalls inside its header is closed by the header timeout (5 s), well before the
        // login deadline (10.5 s) would.
        let started = ContinuousClock.now
        let stalled = try Probe(port: port, from: Self.proxy, sends: [Array(ProxyHeaderDecoder.signature.prefix(6))])
        #expect(stalled.closedWithoutAnswer)
        #expect(ContinuousClock.now - started < .seconds(9), "closed after \(ContinuousClock.now - started)")
        let counts = try outcomes(relay)
        #expect(
            counts["untrusted"] == 2 && counts["missing"] == 1 && counts["malformed"] == 2
                && counts["timeout"] == 1 && counts["proxied"] == 1,
            "\(counts)"
        )
        withExtendedLifetime([forged, forgedText, direct, bare, textual, malformed, badText, stalled]) {}
    }

    @Test func theOptionNeedsTrustedProxies() async throws {
        var configuration = RelayServerConfiguration(listen: "127.0.0.1:0", dataDirectory: "unused")
        configuration.proxyProtocol = true
        #expect(throws: RelayServerError.self) { try configuration.check() }
        configuration.trustedProxies = ["127.0.0.1"]
        try configuration.check()
        let decoded = try JSONDecoder().decode(
            RelayServerConfiguration.self,
            from: Data(#"{"proxyProtocol": true, "trustedProxies": ["10.0.0.2"]}"#.utf8)
        )
        #expect(decoded.proxyProtocol && decoded.trustedProxies == ["10.0.0.2"])
        // The CLI flag alone: the relay stops at start with the key named.
        let data = RelayProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let process = Process()
        process.executableURL = RelayProcess.binary
        process.arguments = ["relay", "--listen", "127.0.0.1:0", "--data", data, "--proxy-protocol"]
        let log = data + ".stderr"
        defer { try? FileManager.default.removeItem(atPath: log) }
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        try await eventually("the relay exits", within: .seconds(20)) { !process.isRunning }
        let message = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(process.terminationStatus == 1)
        #expect(message.contains("proxyProtocol needs trustedProxies"), "\(message)")
    }
}

/// One connection from `from` (a loopback address) that writes `sends` in order and reads the relay's first
/// answer: an HTTP status and, after a WebSocket upgrade, the first relay frame; or nothing (closed).
final class Probe: Sendable {
    let fd: Int32
    let status: Int?
    let first: RelayMessage?

    init(port: Int, from source: String, sends: [[UInt8]]) throws {
        let socket = try connectTCP(port: port, from: source, receiveTimeoutSeconds: 12)
        fd = socket
        for bytes in sends {
            guard bytes.withUnsafeBytes({ send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == bytes.count
            else { throw TestFailure("could not send") }
        }
        var pending: [UInt8] = []
        func more() throws -> Bool {
            var chunk = [UInt8](repeating: 0, count: 4_096)
            let count = recv(socket, &chunk, chunk.count, 0)
            if count == 0 || (count < 0 && errno == ECONNRESET) { return false }
            guard count > 0 else { throw TestFailure("no answer and no close within the receive timeout") }
            pending += chunk[0..<count]
            return true
        }
        let end = Array("\r\n\r\n".utf8)
        while pending.firstRange(of: end) == nil {
            guard try more() else {
                status = nil
                first = nil
                return
            }
        }
        let head = String(decoding: pending, as: UTF8.self)
        status = Int(head.split(separator: " ").dropFirst().first ?? "")
        guard status == 101 else {
            first = nil
            return
        }
        pending.removeFirst(pending.firstRange(of: end)!.upperBound)
        while pending.count < 2 { guard try more() else { throw TestFailure("closed after the upgrade") } }
        let length = Int(pending[1] & 0x7F)
        guard length < 126 else { throw TestFailure("a first frame longer than expected") }
        while pending.count < 2 + length { guard try more() else { throw TestFailure("closed mid-frame") } }
        first = try RelayMessage.decode(Array(pending[2..<(2 + length)]))
    }

    deinit { close(fd) }

    var closedWithoutAnswer: Bool { status == nil }

    var isChallenged: Bool {
        if case .challenge = first { return true }
        return false
    }

    var refusal: RelayRefusal.Code? {
        if case .refused(let refusal) = first { return refusal.code }
        return nil
    }
}

/// `connectTCP` from a chosen loopback source address (Linux routes all of 127/8 to `lo`).
func connectTCP(port: Int, from source: String, receiveTimeoutSeconds: Int) throws -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var local = sockaddr_in()
    local.sin_family = sa_family_t(AF_INET)
    local.sin_addr.s_addr = inet_addr(source)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    var timeout = timeval(tv_sec: receiveTimeoutSeconds, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    let connected = withUnsafePointer(to: &local) { localPointer in
        withUnsafePointer(to: &address) { pointer in
            localPointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bindAddress in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, bindAddress, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
                        && connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
                }
            }
        }
    }
    guard connected else {
        close(fd)
        throw TestFailure("cannot connect from \(source) to 127.0.0.1:\(port)")
    }
    return fd
}
