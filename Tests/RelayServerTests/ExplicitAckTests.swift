import Foundation
import MeshCore
import RelayClient
import RelayFallback
import Testing

/// Acks are the owner's (issue 11, item 3): with a real relay process, an envelope the client has not
/// acknowledged comes back after a reconnect, and once acknowledged it does not; on a connection that stays up it
/// comes back once the ack wait runs out, so a client whose store failed is not stalled until it reconnects.
@Suite(.serialized) struct ExplicitAckTests {
    @Test func anUnacknowledgedEnvelopeIsRedeliveredAfterReconnectAndAnAcknowledgedOneIsNot() async throws {
        let data = RelayProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let relay = try await RelayProcess.start(dataDirectory: data)
        defer { relay.cleanUp() }
        let alice = Collector(identity(201), port: relay.port, relay: relay.publicKey)
        let bob = Collector(identity(202), port: relay.port, relay: relay.publicKey, acknowledges: false)
        try await Collector.startBoth(alice, bob)
        let envelope = OutboundEnvelope.numbered(1, to: bob.identity, run: 70)
        try await alice.send([envelope])
        try await eventually("bob has it") { await bob.delivered.count == 1 }
        try await eventually("alice heard forwarded") { await alice.accepted[envelope.id] == .forwarded }

        // Bob never acknowledged: after a reconnect the relay delivers it again and the client reports it again.
        await bob.client.reconnect()
        try await eventually("bob logged in again", within: .seconds(20)) { await bob.readyCount == 2 }
        try await eventually("the relay delivered it again") { await bob.redeliveries == 1 }
        try await eventually("the relay still holds it") {
            (try? relay.http("/metrics").body.contains("meshpeer_relay_held_envelopes 1")) == true
        }

        // Acknowledged now: the relay lets it go, and a further reconnect brings nothing back.
        await bob.acknowledgeAll()
        try await eventually("the relay let it go") {
            (try? relay.http("/metrics").body.contains("meshpeer_relay_held_envelopes 0")) == true
        }
        await bob.client.reconnect()
        try await eventually("bob logged in a third time", within: .seconds(20)) { await bob.readyCount == 3 }
        // The welcome of the third login says nothing is pending; a redelivery would have to precede it.
        #expect(await bob.lastWelcome?.pendingCount == 0)
        #expect(await bob.redeliveries == 1)
        #expect(await bob.delivered.count == 1)
        await alice.stop()
        await bob.stop()
    }

    @Test func anUnacknowledgedWindowIsDeliveredAgainOnTheSameConnectionAndThenMovesOn() async throws {
        let data = RelayProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let relay = try await RelayProcess.start(
            dataDirectory: data,
            limits: ["ackWaitSeconds": 1, "deliveryWindow": 2]
        )
        defer { relay.cleanUp() }
        let alice = Collector(identity(203), port: relay.port, relay: relay.publicKey)
        let bob = Collector(identity(204), port: relay.port, relay: relay.publicKey, acknowledges: false)
        try await Collector.startBoth(alice, bob)
        let envelopes = (1...4).map { OutboundEnvelope.numbered($0, to: bob.identity, run: 71) }
        try await alice.send(envelopes)
        try await eventually("alice heard every answer") { await alice.answeredCount() == 4 }
        // The window holds two; bob acknowledges neither, as a node whose store failed would not.
        try await eventually("bob has the window") { await bob.delivered.count == 2 }
        try await eventually("the relay delivered the window again", within: .seconds(20)) {
            await bob.redeliveries >= 2
        }
        // On the same connection: no reconnect brought them back.
        #expect(await bob.readyCount == 1)
        #expect(await bob.disconnects == 0)
        #expect(await bob.delivered.map(\.id) == Array(envelopes.prefix(2).map(\.id)))
        try await eventually("the relay counted its redeliveries") {
            let body = (try? relay.http("/metrics").body) ?? ""
            let line = body.split(separator: "\n").first { $0.hasPrefix("meshpeer_relay_redeliveries_total ") }
            return line.flatMap { Double($0.split(separator: " ").last ?? "") }.map { $0 >= 2 } ?? false
        }
        // Bob recovers: acknowledging the window lets the other two through, and the relay then holds nothing.
        await bob.acknowledgeAll()
        try await eventually("bob has the rest") { await bob.delivered.count == 4 }
        await bob.acknowledgeAll()
        try await eventually("the relay let everything go") {
            (try? relay.http("/metrics").body.contains("meshpeer_relay_held_envelopes 0")) == true
        }
        #expect(await bob.delivered.map(\.id) == envelopes.map(\.id))
        await alice.stop()
        await bob.stop()
    }
}
