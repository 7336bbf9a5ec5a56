import Foundation
import MeshCore
import RelayClient
import RelayFallback
import Testing

/// Every failed connection attempt is reported with its cause (issue 19, defect 2), and a `wss://` relay is
/// reached over TLS or not at all (defect 1).
@Suite(.serialized) struct ConnectFailureTests {
    @Test func aRelayThatIsDownIsReportedAsUnreachable() async throws {
        let port = try RelayProcess.freePort()
        let client = Collector(identity(211), port: port, relay: nil)
        await client.start()
        try await eventually("a failure was reported") { await !client.failures.isEmpty }
        #expect(await client.failures.first?.code == .unreachable)
        #expect(await client.client.failureCounts[.unreachable, default: 0] >= 1)
        #expect(await client.readyCount == 0)
        await client.stop()
    }

    @Test func aTLSClientAtAPlainRelayReportsTheHandshakeAndARelayWithAnotherKeyReportsTheLogin() async throws {
        let data = RelayProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let relay = try await RelayProcess.start(dataDirectory: data)
        defer { relay.cleanUp() }
        let tls = Collector(identity(212), port: relay.port, relay: relay.publicKey, tls: try RelayClientTLS())
        let impostor = Collector(identity(213), port: relay.port, relay: identity(299).publicKey)
        await tls.start()
        await impostor.start()
        try await eventually("both failed") {
            let first = await tls.failures.isEmpty
            let second = await impostor.failures.isEmpty
            return !first && !second
        }
        let tlsFailure = try #require(await tls.failures.first)
        #expect(tlsFailure.code == .tlsFailed, "\(tlsFailure)")
        let loginFailure = try #require(await impostor.failures.first)
        #expect(loginFailure.code == .loginRejected, "\(loginFailure)")
        #expect(await tls.readyCount == 0)
        #expect(await impostor.readyCount == 0)
        await tls.stop()
        await impostor.stop()
    }

    /// The downgrade defect: with TLS impossible to set up, the old code connected in plaintext. Here the relay at
    /// the `wss://` address actually speaks plaintext, so a downgrade would log in; the pool must not contact it.
    @Test func aWssRelayWhoseTLSCannotBeSetUpIsNeverContactedInPlaintext() async throws {
        let data = RelayProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let relay = try await RelayProcess.start(dataDirectory: data)
        defer { relay.cleanUp() }
        let address = RelayAddress(secure: true, host: "127.0.0.1", port: relay.port)
        var settings = RelayPool.Configuration()
        settings.probeTimeout = .seconds(2)
        let pool = RelayPool(
            identity: identity(214),
            candidates: [.init(address: address, key: relay.publicKey)],
            group: testGroup,
            configuration: settings,
            makeTLS: { _ in throw TestFailure("no trust roots on this machine") }
        )
        let events = pool.events
        await pool.start()
        var iterator = events.makeAsyncIterator()
        let first = await iterator.next()
        guard case .connectFailed(let failure) = first?.event else {
            Issue.record("expected a connect failure, got \(String(describing: first))")
            return
        }
        #expect(failure.code == .tlsUnavailable)
        #expect(first?.relay == address)
        let status = try #require(await pool.statuses.first)
        #expect(status.state == .down && status.lastFailure?.code == .tlsUnavailable)
        #expect(await pool.failureCounts[.tlsUnavailable, default: 0] >= 1)
        let result = await pool.send(
            OutboundEnvelope.numbered(1, to: identity(215), run: 80),
            via: [RelayRoute.Hop(address: address, expectedKey: relay.publicKey)]
        )
        guard case .failed(let attempts) = result else {
            Issue.record("the send went through a relay it must not reach: \(result)")
            return
        }
        #expect(attempts.map(\.failure?.code) == [.tlsUnavailable])
        let metrics = try relay.http("/metrics").body
        #expect(metrics.contains("meshpeer_relay_authenticated_clients 0"))
        #expect(!metrics.contains("meshpeer_relay_connections 1"), "nothing connected in plaintext")
        await pool.stop()
    }
}
