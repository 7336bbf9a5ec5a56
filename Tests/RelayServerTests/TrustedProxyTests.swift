import Foundation
import MeshCore
import RelayFallback
import Testing

@testable import RelayServer

/// Issue 16: behind a reverse proxy every client shares the proxy's address. From a trusted proxy the relay counts
/// each client under the address `X-Forwarded-For` names; from anyone else the header is ignored.
@Suite struct TrustedProxyTests {
    @Test func theRightmostUntrustedHopIsTheClient() {
        let proxies = ClientAddress(trustedProxies: ["127.0.0.1", "10.0.0.2"])
        #expect(proxies.source(peer: "127.0.0.1", forwardedFor: ["198.51.100.7"]) == "198.51.100.7")
        // The client may write anything left of the first hop a trusted proxy appended.
        #expect(proxies.source(peer: "127.0.0.1", forwardedFor: ["203.0.113.66, 198.51.100.7"]) == "198.51.100.7")
        #expect(proxies.source(peer: "127.0.0.1", forwardedFor: ["198.51.100.7, 10.0.0.2"]) == "198.51.100.7")
        #expect(proxies.source(peer: "127.0.0.1", forwardedFor: ["198.51.100.7", "10.0.0.2"]) == "198.51.100.7")
        #expect(proxies.source(peer: "127.0.0.1", forwardedFor: ["[2001:db8::1]:4711"]) == "2001:db8::1")
        #expect(proxies.source(peer: "127.0.0.1", forwardedFor: ["198.51.100.7:4711"]) == "198.51.100.7")
        // Nothing usable: the proxy's own address.
        #expect(proxies.source(peer: "127.0.0.1", forwardedFor: []) == "127.0.0.1")
        #expect(proxies.source(peer: "127.0.0.1", forwardedFor: ["unknown"]) == "127.0.0.1")
        #expect(proxies.source(peer: "127.0.0.1", forwardedFor: ["10.0.0.2"]) == "127.0.0.1")
        #expect(proxies.source(peer: "127.0.0.1", forwardedFor: [String(repeating: "9", count: 5_000)]) == "127.0.0.1")
        // From a peer that is not a trusted proxy the header proves nothing.
        #expect(proxies.source(peer: "192.0.2.9", forwardedFor: ["198.51.100.7"]) == "192.0.2.9")
    }

    @Test func aTrustedProxyCarriesManyClientsEachWithItsOwnAllowance() async throws {
        let data = RelayProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let relay = try await RelayProcess.start(
            dataDirectory: data,
            limits: ["connectionsPerSource": 2],
            arguments: ["--trusted-proxy", "127.0.0.1"]
        )
        defer { relay.cleanUp() }
        let first = try ForwardedClient(port: relay.port, forwardedFor: "198.51.100.1")
        let second = try ForwardedClient(port: relay.port, forwardedFor: "198.51.100.1")
        let other = try ForwardedClient(port: relay.port, forwardedFor: "198.51.100.2")
        let extra = try ForwardedClient(port: relay.port, forwardedFor: "198.51.100.1")
        #expect(first.isChallenged && second.isChallenged && other.isChallenged)
        #expect(extra.refusal == .tooManyConnections, "the client behind the proxy has its own allowance of 2")
        // Five clients through one proxy address: more than the old per-address gate (2 × 2) let through.
        let fifth = try ForwardedClient(port: relay.port, forwardedFor: "198.51.100.3")
        #expect(fifth.isChallenged)
        withExtendedLifetime([first, second, other, extra, fifth]) {}
    }

    @Test func anUntrustedPeerCannotChooseItsSource() async throws {
        let data = RelayProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let relay = try await RelayProcess.start(dataDirectory: data, limits: ["connectionsPerSource": 2])
        defer { relay.cleanUp() }
        let first = try ForwardedClient(port: relay.port, forwardedFor: "198.51.100.1")
        let second = try ForwardedClient(port: relay.port, forwardedFor: "198.51.100.2")
        let third = try ForwardedClient(port: relay.port, forwardedFor: "198.51.100.3")
        #expect(first.isChallenged && second.isChallenged)
        #expect(third.refusal == .tooManyConnections, "all three are 127.0.0.1 to a relay that trusts no proxy")
        withExtendedLifetime([first, second, third]) {}
    }

    @Test func aTrustedProxyMustBeAnAddress() async throws {
        let text = #"{"trustedProxies": ["proxy.example.org"]}"#
        #expect(throws: (any Error).self) {
            try JSONDecoder().decode(RelayServerConfiguration.self, from: Data(text.utf8))
        }
    }
}

/// A WebSocket upgrade that says it was forwarded for `forwardedFor`, and the relay's first answer to it.
final class ForwardedClient: Sendable {
    let fd: Int32
    let first: RelayMessage?

    init(port: Int, forwardedFor: String) throws {
        let socket = try connectTCP(port: port, receiveTimeoutSeconds: 5)
        fd = socket
        let request =
            "GET /relay HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "X-Forwarded-For: \(forwardedFor)\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        let bytes = Array(request.utf8)
        guard bytes.withUnsafeBytes({ send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == bytes.count
        else {
            throw TestFailure("could not send the upgrade")
        }
        var pending: [UInt8] = []
        func more() throws {
            var chunk = [UInt8](repeating: 0, count: 4_096)
            let count = recv(socket, &chunk, chunk.count, 0)
            guard count > 0 else { throw TestFailure("the relay closed before answering") }
            pending += chunk[0..<count]
        }
        while pending.firstRange(of: Array("\r\n\r\n".utf8)) == nil { try more() }
        guard String(decoding: pending, as: UTF8.self).hasPrefix("HTTP/1.1 101") else {
            throw TestFailure("no upgrade")
        }
        pending.removeFirst(pending.firstRange(of: Array("\r\n\r\n".utf8))!.upperBound)
        while pending.count < 2 { try more() }
        let length = Int(pending[1] & 0x7F)
        guard length < 126 else { throw TestFailure("a first frame longer than expected") }
        while pending.count < 2 + length { try more() }
        first = try RelayMessage.decode(Array(pending[2..<(2 + length)]))
    }

    deinit { close(fd) }

    var isChallenged: Bool {
        if case .challenge = first { return true }
        return false
    }

    var refusal: RelayRefusal.Code? {
        if case .refused(let refusal) = first { return refusal.code }
        return nil
    }
}
