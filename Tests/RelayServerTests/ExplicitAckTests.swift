import Foundation
import MeshCore
import RelayClient
import RelayFallback
import Testing

/// Acks are the owner's (issue 11, item 3): with a real relay process, an envelope the client has not
/// acknowledged comes back after a reconnect, and once acknowledged it does not.
@Suite(.serialized) struct ExplicitAckTests {
    @Test func anUnacknowledgedEnvelopeIsRedeliveredAfterReconnectAndAnAcknowledgedOneIsNot() async throws {
        let data = RelayProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let relay = try await RelayProcess.start(dataDirectory: data)
        defer { relay.cleanUp() }
        let alice = Collector(identity(201), port: relay.port, relay: relay.publicKey)
        let bob = Collector(identity(202), port: relay.port, relay: relay.publicKey, acknowledges: false)
        await alice.start()
        await bob.start()
        try await eventually("both logged in") {
            let first = await alice.isReady
            let second = await bob.isReady
            return first && second
        }
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
}
