import Foundation
import MeshCore
import RelayClient
import RelayFallback
import Testing

/// The relay as a separate process on 127.0.0.1, with clients in this process.
@Suite(.serialized) struct RelayProcessTests {
    @Test func twoClientsExchangeEnvelopesThroughARelay() async throws {
        let data = RelayProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let relay = try await RelayProcess.start(dataDirectory: data)
        defer { relay.cleanUp() }
        let alice = Collector(identity(11), port: relay.port, relay: relay.publicKey)
        let bob = Collector(identity(12), port: relay.port, relay: relay.publicKey)
        await alice.start()
        await bob.start()
        defer {
            Task {
                await alice.stop()
                await bob.stop()
            }
        }
        try await eventually("both logged in") {
            let first = await alice.isReady
            let second = await bob.isReady
            return first && second
        }
        let toBob = (0..<50).map { OutboundEnvelope.numbered($0, to: bob.identity, run: 1) }
        let toAlice = (0..<50).map { OutboundEnvelope.numbered($0, to: alice.identity, run: 2) }
        try await alice.send(toBob)
        try await bob.send(toAlice)
        try await eventually("bob has 50") { await bob.delivered.count == 50 }
        try await eventually("alice has 50") { await alice.delivered.count == 50 }
        #expect(await bob.delivered.map(\.index) == Array(0..<50))
        #expect(await alice.delivered.map(\.index) == Array(0..<50))
        #expect(await bob.delivered.allSatisfy { $0.sender == alice.identity.nodeID })
        #expect(await alice.refused.isEmpty)
        let (status, output) = try await relay.terminate()
        #expect(status == 0)
        #expect(output.contains("\"event\":\"stopped\""))
    }

    @Test func anOfflineRecipientGetsEverythingInOrderWhenItConnects() async throws {
        let data = RelayProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let relay = try await RelayProcess.start(dataDirectory: data)
        defer { relay.cleanUp() }
        let alice = Collector(identity(21), port: relay.port, relay: relay.publicKey)
        let bobIdentity = identity(22)
        await alice.start()
        let envelopes = (0..<300).map { OutboundEnvelope.numbered($0, to: bobIdentity, run: 3) }
        try await alice.send(envelopes)
        try await eventually("all stored") { await alice.accepted.count == 300 }
        #expect(await alice.accepted.values.allSatisfy { $0 == .stored })
        let bob = Collector(bobIdentity, port: relay.port, relay: relay.publicKey)
        await bob.start()
        try await eventually("bob has 300") { await bob.delivered.count == 300 }
        #expect(await bob.delivered.map(\.index) == Array(0..<300))
        try await eventually("the relay let everything go") {
            (try? relay.http("/metrics").body.contains("meshpeer_relay_held_envelopes 0")) == true
        }
        await alice.stop()
        await bob.stop()
    }

    @Test func tenThousandStoredEnvelopesSurviveKillNineAndArriveExactlyOnce() async throws {
        let data = RelayProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let port = try RelayProcess.freePort()
        var relay = try await RelayProcess.start(dataDirectory: data, port: port, limits: bulkLimits)
        let alice = Collector(identity(31), port: port, relay: relay.publicKey)
        let bobIdentity = identity(32)
        await alice.start()
        let count = 10_000
        try await alice.send((0..<count).map { OutboundEnvelope.numbered($0, to: bobIdentity, run: 4) })
        try await eventually("all stored", within: .seconds(120)) { await alice.accepted.count == count }
        await alice.stop()
        relay.kill9()

        relay = try await RelayProcess.start(dataDirectory: data, port: port, limits: bulkLimits)
        let bob = Collector(bobIdentity, port: port, relay: relay.publicKey)
        await bob.start()
        // Part-way through the drain, kill it again; bob's client reconnects on its own to the restarted relay.
        try await eventually("bob is draining", within: .seconds(60)) { await bob.delivered.count >= 2_000 }
        relay.kill9()
        relay = try await RelayProcess.start(dataDirectory: data, port: port, limits: bulkLimits)
        defer { relay.cleanUp() }
        try await eventually("bob has everything", within: .seconds(120)) { await bob.delivered.count >= count }
        let indices = await bob.delivered.map(\.index)
        #expect(indices == Array(0..<count), "each envelope exactly once, in arrival order")
        #expect(await bob.disconnects >= 1)
        try await eventually("the relay deleted everything") {
            (try? relay.http("/metrics").body.contains("meshpeer_relay_held_envelopes 0")) == true
        }
        await bob.stop()
    }

    @Test func sigtermWritesUnacknowledgedLiveDeliveriesToDiskAndExitsCleanly() async throws {
        let data = RelayProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let port = try RelayProcess.freePort()
        var relay = try await RelayProcess.start(dataDirectory: data, port: port)
        let bobIdentity = identity(62)
        let bob = try await RawClient(port: port)
        try await bob.logIn(bobIdentity)
        let alice = try await RawClient(port: port)
        try await alice.logIn(identity(61))
        let envelope = OutboundEnvelope.numbered(7, to: bobIdentity, run: 12)
        try await alice.send(RelayMessage.send(envelope).encoded())
        #expect(try await alice.next() == .accepted(envelope.id, .forwarded))
        guard case .deliver(let live) = try await bob.next() else { throw TestFailure("no live delivery") }
        #expect(live.id == envelope.id)
        // Bob never acknowledges. A graceful stop must keep the envelope.
        let (status, output) = try await relay.terminate()
        #expect(status == 0)
        #expect(output.contains("\"event\":\"stopped\""))
        #expect(try await bob.closedByRelay())
        #expect(bob.closeCode == 1001)
        await alice.close()
        await bob.close()

        relay = try await RelayProcess.start(dataDirectory: data, port: port)
        defer { relay.cleanUp() }
        let again = try await RawClient(port: port)
        let login = try RelayAuth.answer(
            try await again.challenge(),
            identity: bobIdentity,
            expectedRelay: relay.publicKey
        )
        try await again.send(RelayMessage.authenticate(login).encoded())
        guard case .welcome(let welcome) = try await again.next() else { throw TestFailure("no welcome") }
        #expect(welcome.pendingCount == 1)
        guard case .deliver(let stored) = try await again.next() else { throw TestFailure("no stored delivery") }
        #expect(stored.id == envelope.id && stored.payload == envelope.payload)
        await again.close()
    }

    @Test func healthzAndMetricsAnswerOverHTTP() async throws {
        let data = RelayProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let relay = try await RelayProcess.start(dataDirectory: data)
        defer { relay.cleanUp() }
        let health = try relay.http("/healthz")
        #expect(health.status == 200 && health.body == "ok\n")
        let metrics = try relay.http("/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.body.contains("meshpeer_relay_connections"))
        #expect(try relay.http("/nope").status == 404)
    }
}
