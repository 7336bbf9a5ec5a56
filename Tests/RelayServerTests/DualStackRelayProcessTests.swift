import Foundation
import MeshCore
import RelayClient
import RelayFallback
import Testing

/// Issue 16, decision 0099: the relay listens on both address families. Real `meshpeer relay` processes and
/// real clients over loopback: an IPv6 client and an IPv4 client of the same relay reach each other.
@Suite(.serialized) struct DualStackRelayProcessTests {
    /// Alice on `aliceHost`, Bob on `bobHost`, one envelope each way through the relay at `port`.
    func exchange(port: Int, relay: RelayProcess, aliceHost: String, bobHost: String, run: UInt8) async throws {
        let alice = Collector(identity(301), host: aliceHost, port: port, relay: relay.publicKey)
        let bob = Collector(identity(302), host: bobHost, port: port, relay: relay.publicKey)
        await alice.start()
        await bob.start()
        try await eventually("both logged in", within: .seconds(20)) {
            let aliceReady = await alice.isReady
            let bobReady = await bob.isReady
            return aliceReady && bobReady
        }
        try await alice.send([.numbered(1, to: bob.identity, run: run)])
        try await bob.send([.numbered(2, to: alice.identity, run: run)])
        try await eventually("each has the other's envelope", within: .seconds(20)) {
            let toBob = await bob.delivered.map(\.index)
            let toAlice = await alice.delivered.map(\.index)
            return toBob == [1] && toAlice == [2]
        }
        let failures = await alice.failures + bob.failures
        #expect(failures.isEmpty, "\(failures)")
        await alice.stop()
        await bob.stop()
    }

    @Test func theDefaultLocalhostListenerTakesIPv6AndIPv4Clients() async throws {
        let data = RelayProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        // `localhost` is the default's host (localhost:7400); port 0 here, so the test needs no fixed port.
        let relay = try await RelayProcess.start(dataDirectory: data, arguments: ["--listen", "localhost:0"])
        defer { relay.cleanUp() }
        try await exchange(port: relay.port, relay: relay, aliceHost: "::1", bobHost: "127.0.0.1", run: 160)
    }

    @Test func theIPv6WildcardIsOneDualStackSocketAndCountsIPv4ClientsByTheirIPv4Address() async throws {
        let data = RelayProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        // [::] with IPV6_V6ONLY off: IPv4 clients arrive on the same socket as ::ffff:127.0.0.1. The trusted proxy
        // is written as 127.0.0.1, so it is honoured only if the relay counts them by their IPv4 address.
        let relay = try await RelayProcess.start(
            dataDirectory: data,
            limits: ["connectionsPerSource": 2],
            arguments: ["--listen", "[::]:0", "--trusted-proxy", "127.0.0.1"]
        )
        defer { relay.cleanUp() }
        try await exchange(port: relay.port, relay: relay, aliceHost: "::1", bobHost: "127.0.0.1", run: 161)
        let first = try ForwardedClient(port: relay.port, forwardedFor: "198.51.100.1")
        let second = try ForwardedClient(port: relay.port, forwardedFor: "198.51.100.1")
        let other = try ForwardedClient(port: relay.port, forwardedFor: "198.51.100.2")
        let extra = try ForwardedClient(port: relay.port, forwardedFor: "198.51.100.1")
        #expect(first.isChallenged && second.isChallenged && other.isChallenged)
        #expect(extra.refusal == .tooManyConnections, "the client behind the proxy has its own allowance of 2")
        withExtendedLifetime([first, second, other, extra]) {}
    }
}
