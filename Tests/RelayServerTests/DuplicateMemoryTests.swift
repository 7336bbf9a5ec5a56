import Foundation
import MeshCore
import RelayClient
import RelayFallback
import Testing

/// The relay's duplicate memory survives a crash (issue 11, item 6; decision 0074): an envelope delivered and
/// acknowledged before a `kill -9` is answered `duplicate` when its sender resends it to the restarted relay.
@Suite(.serialized) struct DuplicateMemoryTests {
    @Test func aDeliveredEnvelopeResentAfterKillNineIsADuplicateNotASecondDelivery() async throws {
        let data = RelayProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let port = try RelayProcess.freePort()
        var relay = try await RelayProcess.start(dataDirectory: data, port: port)
        let alice = Collector(identity(241), port: port, relay: relay.publicKey)
        let bob = Collector(identity(242), port: port, relay: relay.publicKey)
        try await Collector.startBoth(alice, bob)
        let live = OutboundEnvelope.numbered(1, to: bob.identity, run: 110)
        try await alice.send([live])
        try await eventually("forwarded live") { await alice.accepted[live.id] == .forwarded }
        try await eventually("bob has it") { await bob.delivered.count == 1 }
        // The ack is processed (and its ID remembered in the same step) once the relay holds nothing.
        try await eventually("bob's ack reached the relay") {
            (try? relay.http("/metrics").body.contains("meshpeer_relay_held_envelopes 0")) == true
        }
        relay.kill9()
        relay = try await RelayProcess.start(dataDirectory: data, port: port)
        defer { relay.cleanUp() }
        try await eventually("both logged in again", within: .seconds(20)) {
            let first = await alice.readyCount
            let second = await bob.readyCount
            return first == 2 && second == 2
        }
        // The sender never got a receipt (say), so it sends the same envelope again.
        try await alice.send([live])
        try await eventually("answered", within: .seconds(10)) { await alice.accepted[live.id] == .duplicate }
        let other = OutboundEnvelope.numbered(2, to: bob.identity, run: 110)
        try await alice.send([other])
        try await eventually("bob has the next one") { await bob.delivered.count == 2 }
        #expect(await bob.redeliveries == 0, "the first envelope was not delivered a second time")
        #expect(await bob.delivered.map(\.index) == [1, 2])
        await alice.stop()
        await bob.stop()
    }

    /// The other half of decision 0074: a live envelope not yet acknowledged when the relay is killed is gone from
    /// the relay (`forwarded` is not durable), and the sender's resend under the same ID delivers it.
    @Test func aLiveEnvelopeLostInAKillNineArrivesWhenTheSenderResendsIt() async throws {
        let data = RelayProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let port = try RelayProcess.freePort()
        var relay = try await RelayProcess.start(dataDirectory: data, port: port)
        let alice = Collector(identity(243), port: port, relay: relay.publicKey)
        let bob = Collector(identity(244), port: port, relay: relay.publicKey, acknowledges: false)
        try await Collector.startBoth(alice, bob)
        let live = OutboundEnvelope.numbered(1, to: bob.identity, run: 111)
        try await alice.send([live])
        try await eventually("bob has it, unacknowledged") { await bob.delivered.count == 1 }
        relay.kill9()
        relay = try await RelayProcess.start(dataDirectory: data, port: port)
        defer { relay.cleanUp() }
        try await eventually("both logged in again", within: .seconds(20)) {
            let first = await alice.readyCount
            let second = await bob.readyCount
            return first == 2 && second == 2
        }
        #expect(metric("meshpeer_relay_held_envelopes", of: relay) == 0, "the live envelope died with the relay")
        // No receipt reached the sender, so its outbox resends the same envelope.
        try await alice.send([live])
        try await eventually("delivered again") { await bob.redeliveries == 1 }
        await bob.acknowledgeAll()
        try await eventually("acknowledged") {
            (try? relay.http("/metrics").body.contains("meshpeer_relay_held_envelopes 0")) == true
                && (try? relay.http("/metrics").body.contains("meshpeer_relay_deliveries_total 1")) == true
        }
        await alice.stop()
        await bob.stop()
    }
}
