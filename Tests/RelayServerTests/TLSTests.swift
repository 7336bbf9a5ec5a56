import Foundation
import MeshCore
import RelayClient
import RelayFallback
import TestSupport
import Testing

/// Built-in TLS (swift-nio-ssl) with a self-signed certificate made by openssl for this test.
@Suite(.serialized) struct TLSTests {
    /// The system's roots are parsed once per process, not once per relay connection or indexer GET.
    @Test func theSystemRootsAreLoadedOnce() throws {
        let first = try RelayClientTLS.system()
        #expect(try RelayClientTLS.system().context === first.context)
        #expect(try RelayClientTLS().context !== first.context)
        #expect(first.serverHostname == nil)
    }

    @Test func clientsExchangeEnvelopesOverTLSAndAClientThatDoesNotTrustTheCertificateNeverLogsIn() async throws {
        let data = RelayProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        let (certificate, key) = try TestCertificate.make(in: data, file: "relay")
        let (stranger, _) = try TestCertificate.make(in: data, file: "stranger")
        let relay = try await RelayProcess.start(
            dataDirectory: data + "/relay",
            tls: ["certificateChain": certificate, "privateKey": key]
        )
        defer { relay.cleanUp() }
        let trusting = try RelayClientTLS(trustedCertificates: certificate, serverHostname: "localhost")
        let alice = Collector(identity(111), port: relay.port, relay: relay.publicKey, tls: trusting)
        let bob = Collector(identity(112), port: relay.port, relay: relay.publicKey, tls: trusting)
        let wary = try RelayClientTLS(trustedCertificates: stranger, serverHostname: "localhost")
        let mallory = Collector(identity(113), port: relay.port, relay: relay.publicKey, tls: wary)
        for collector in [alice, bob, mallory] { await collector.start() }
        try await eventually("both logged in over TLS") {
            let first = await alice.isReady
            let second = await bob.isReady
            return first && second
        }
        try await alice.send((0..<10).map { OutboundEnvelope.numbered($0, to: bob.identity, run: 60) })
        try await eventually("bob has 10") { await bob.delivered.count == 10 }
        #expect(await bob.delivered.map(\.index) == Array(0..<10))
        try await eventually("the untrusting client's handshake failed") { await mallory.disconnects >= 1 }
        #expect(await mallory.readyCount == 0)
        #expect(await mallory.failures.first?.code == .tlsFailed, "the failure names the TLS handshake")
        #expect((try? relay.http("/healthz"))?.status != 200, "plain HTTP gets nothing from a TLS port")
        for collector in [alice, bob, mallory] { await collector.stop() }
        let (status, _) = try await relay.terminate()
        #expect(status == 0)
    }

    /// SIGHUP loads a renewed certificate for new connections without dropping the open ones; an unreadable one
    /// leaves the old certificate in use.
    @Test func sighupLoadsARenewedCertificateAndABadFileKeepsTheOldOne() async throws {
        let data = RelayProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        let (old, oldKey) = try TestCertificate.make(in: data, file: "old")
        let (renewed, renewedKey) = try TestCertificate.make(in: data, file: "renewed")
        let live = (certificate: data + "/live.pem", key: data + "/live-key.pem")
        func install(_ certificate: String, _ key: String) throws {
            for (source, target) in [(certificate, live.certificate), (key, live.key)] {
                try? FileManager.default.removeItem(atPath: target)
                try FileManager.default.copyItem(atPath: source, toPath: target)
            }
        }
        try install(old, oldKey)
        let relay = try await RelayProcess.start(
            dataDirectory: data + "/relay",
            tls: ["certificateChain": live.certificate, "privateKey": live.key]
        )
        defer { relay.cleanUp() }
        let trustsOld = try RelayClientTLS(trustedCertificates: old, serverHostname: "localhost")
        let trustsRenewed = try RelayClientTLS(trustedCertificates: renewed, serverHostname: "localhost")
        func client(_ seed: UInt64, _ tls: RelayClientTLS) async -> Collector {
            let collector = Collector(identity(seed), port: relay.port, relay: relay.publicKey, tls: tls)
            await collector.start()
            return collector
        }

        let early = await client(121, trustsOld)
        try await eventually("a client that trusts the old certificate logs in") { await early.isReady }

        // A broken file: the reload fails, says so, and the old certificate keeps serving new connections.
        try Data("not a certificate".utf8).write(to: URL(fileURLWithPath: live.certificate))
        #expect(try await relay.signalAndReadLine(SIGHUP).contains("tls-reload-failed"))
        let stillOld = await client(122, trustsOld)
        try await eventually("the old certificate still serves new connections") { await stillOld.isReady }

        // The renewed certificate: new connections get it, the open one is untouched.
        try install(renewed, renewedKey)
        #expect(try await relay.signalAndReadLine(SIGHUP).contains("tls-reloaded"))
        let fresh = await client(123, trustsRenewed)
        try await eventually("a client that trusts the renewed certificate logs in") { await fresh.isReady }
        let stale = await client(124, trustsOld)
        try await eventually("a client that trusts only the old certificate is refused") {
            await stale.disconnects >= 1
        }
        #expect(await stale.readyCount == 0)
        #expect(await early.isReady, "the connection opened before the reload stays")
        #expect(await early.disconnects == 0)
        for collector in [early, stillOld, fresh, stale] { await collector.stop() }
        let (status, _) = try await relay.terminate()
        #expect(status == 0)
    }
}
