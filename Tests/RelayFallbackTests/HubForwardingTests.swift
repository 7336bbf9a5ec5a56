import MeshCore
import Testing

@testable import RelayFallback

@Suite struct HubForwardingTests {
    let a = ConnectionID(1)
    let b = ConnectionID(2)

    @Test func anOnlineRecipientGetsTheEnvelopeLiveAndTheSenderHearsForwarded() throws {
        var hub = Fixture.hub()
        try hub.logIn(Fixture.alice, on: a)
        try hub.logIn(Fixture.bob, on: b)
        let envelope = Fixture.envelope(1, to: Fixture.bob)
        let delivery = DeliveredEnvelope(
            id: envelope.id,
            sender: Fixture.alice.nodeID,
            sequence: 1,
            payload: envelope.payload
        )
        #expect(
            hub.send(envelope, on: a) == [.send(b, .deliver(delivery)), .send(a, .accepted(envelope.id, .forwarded))]
        )
        // A live envelope was never written: its ack only makes the relay remember the ID (decision 0074).
        let week = Fixture.start + .seconds(7 * 24 * 3600)
        #expect(
            hub.receive(b, bytes: RelayMessage.ack([envelope.id]).encoded(), now: Fixture.start)
                == [.remember([DeliveredRecord(id: envelope.id, expiresAt: week)])]
        )
        #expect(hub.heldCount == 0)
    }

    @Test func anOfflineRecipientsEnvelopesArePersistedThenDeliveredInOrderThenDeletedOnAck() throws {
        var hub = Fixture.hub()
        try hub.logIn(Fixture.alice, on: a)
        var metas: [StoredEnvelopeMeta] = []
        for tag in UInt8(1)...3 {
            let envelope = Fixture.envelope(tag, to: Fixture.bob)
            let actions = hub.send(envelope, on: a)
            let meta = StoredEnvelopeMeta(
                sequence: UInt64(tag),
                id: envelope.id,
                sender: Fixture.alice.nodeID,
                recipient: Fixture.bob.nodeID,
                byteCount: 8,
                expiresAt: Fixture.start + .seconds(7 * 24 * 3600)
            )
            metas.append(meta)
            #expect(
                actions == [
                    .persist([StoredEnvelope(meta: meta, payload: envelope.payload)]),
                    .send(a, .accepted(envelope.id, .stored)),
                ]
            )
        }
        let login = try hub.logIn(Fixture.bob, on: b)
        let welcome = RelayWelcome(clientID: Fixture.bob.nodeID, maximumEnvelopeBytes: 1_048_576, pendingCount: 3)
        #expect(login == [.send(b, .welcome(welcome)), .deliverStored(b, metas)])
        let acked = hub.receive(b, bytes: RelayMessage.ack(metas.map(\.id)).encoded(), now: Fixture.start)
        let remembered = metas.map { DeliveredRecord(id: $0.id, expiresAt: $0.expiresAt) }
        #expect(acked == [.remember(remembered), .delete(metas.map(\.id))])
        #expect(hub.heldCount == 0 && hub.heldBytes == 0)
    }

    @Test func aDuplicateIsAcknowledgedButNotStoredAgain() throws {
        var hub = Fixture.hub()
        try hub.logIn(Fixture.alice, on: a)
        _ = hub.send(Fixture.envelope(1, to: Fixture.bob), on: a)
        #expect(
            hub.send(Fixture.envelope(1, to: Fixture.bob), on: a) == [.send(a, .accepted(Fixture.id(1), .duplicate))]
        )
        #expect(hub.heldCount == 1)
    }

    @Test func aDeliveredEnvelopeResentLaterIsStillADuplicate() throws {
        var hub = Fixture.hub()
        try hub.logIn(Fixture.alice, on: a)
        try hub.logIn(Fixture.bob, on: b)
        _ = hub.send(Fixture.envelope(1, to: Fixture.bob), on: a)
        _ = hub.receive(b, bytes: RelayMessage.ack([Fixture.id(1)]).encoded(), now: Fixture.start)
        #expect(
            hub.send(Fixture.envelope(1, to: Fixture.bob), on: a) == [.send(a, .accepted(Fixture.id(1), .duplicate))]
        )
    }

    @Test func theDeliveryWindowHoldsBackTheRestUntilAcks() throws {
        var limits = RelayLimits()
        limits.deliveryWindow = 2
        var hub = Fixture.hub(limits)
        try hub.logIn(Fixture.alice, on: a)
        for tag in UInt8(1)...5 { _ = hub.send(Fixture.envelope(tag, to: Fixture.bob), on: a) }
        let login = try hub.logIn(Fixture.bob, on: b)
        guard case .deliverStored(_, let first) = login.last else { throw RelayRefusal(.unexpectedMessage, "") }
        #expect(first.map(\.sequence) == [1, 2])
        let next = hub.receive(b, bytes: RelayMessage.ack([Fixture.id(1)]).encoded(), now: Fixture.start)
        guard case .deliverStored(_, let second) = next.last else { throw RelayRefusal(.unexpectedMessage, "") }
        #expect(second.map(\.sequence) == [3])
    }

    @Test func liveDeliveriesNotAcknowledgedBeforeADisconnectArePersistedAndRedeliveredFirst() throws {
        var hub = Fixture.hub()
        try hub.logIn(Fixture.alice, on: a)
        try hub.logIn(Fixture.bob, on: b)
        _ = hub.send(Fixture.envelope(1, to: Fixture.bob), on: a)
        let gone = hub.disconnect(b, now: Fixture.start)
        #expect(persisted(gone).map(\.meta.sequence) == [1])
        _ = hub.send(Fixture.envelope(2, to: Fixture.bob), on: a)
        let back = try hub.logIn(Fixture.bob, on: ConnectionID(3))
        guard case .deliverStored(_, let metas) = back.last else { throw RelayRefusal(.unexpectedMessage, "") }
        #expect(metas.map(\.sequence) == [1, 2])
    }

    @Test func theRecipientQuotaRefusesWithATypedCode() throws {
        var limits = RelayLimits()
        limits.mailboxMaximumCount = 2
        var hub = Fixture.hub(limits)
        try hub.logIn(Fixture.alice, on: a)
        _ = hub.send(Fixture.envelope(1, to: Fixture.bob), on: a)
        _ = hub.send(Fixture.envelope(2, to: Fixture.bob), on: a)
        let refused = hub.send(Fixture.envelope(3, to: Fixture.bob), on: a)
        #expect(
            refused == [
                .send(
                    a,
                    .refused(
                        RelayRefusal(
                            .recipientQuotaExceeded,
                            envelopeID: Fixture.id(3),
                            "the recipient's mailbox is full"
                        )
                    )
                )
            ]
        )
        #expect(refusals(hub.send(Fixture.envelope(4, to: Fixture.carol), on: a)).isEmpty)
    }

    @Test func theGlobalStorageCapRefuses() throws {
        var limits = RelayLimits()
        limits.storageMaximumBytes = 20
        var hub = Fixture.hub(limits)
        try hub.logIn(Fixture.alice, on: a)
        _ = hub.send(Fixture.envelope(1, to: Fixture.bob, size: 15), on: a)
        #expect(refusals(hub.send(Fixture.envelope(2, to: Fixture.carol, size: 6), on: a)) == [.storageFull])
        #expect(hub.heldBytes == 15)
    }

    @Test func anEnvelopeOverTheOperatorsLimitIsRefused() throws {
        var limits = RelayLimits()
        limits.maximumEnvelopeBytes = 10
        var hub = Fixture.hub(limits)
        try hub.logIn(Fixture.alice, on: a)
        #expect(refusals(hub.send(Fixture.envelope(1, to: Fixture.bob, size: 11), on: a)) == [.envelopeTooLarge])
        #expect(hub.heldCount == 0)
    }

    @Test func senderRateLimitRefusesAFloodAndRefillsWithTime() throws {
        var limits = RelayLimits()
        limits.senderEnvelopeBurst = 3
        limits.senderEnvelopesPerSecond = 1
        var hub = Fixture.hub(limits)
        try hub.logIn(Fixture.alice, on: a)
        for tag in UInt8(1)...3 { #expect(refusals(hub.send(Fixture.envelope(tag, to: Fixture.bob), on: a)).isEmpty) }
        #expect(refusals(hub.send(Fixture.envelope(4, to: Fixture.bob), on: a)) == [.rateLimited])
        #expect(hub.heldCount == 3)
        let later = Fixture.start + .seconds(1)
        #expect(refusals(hub.send(Fixture.envelope(4, to: Fixture.bob), on: a, now: later)).isEmpty)
    }

    @Test func expiredEnvelopesAreDeletedBySweepAndOnRestore() throws {
        var hub = Fixture.hub()
        try hub.logIn(Fixture.alice, on: a)
        _ = hub.send(Fixture.envelope(1, to: Fixture.bob, ttl: 30), on: a)
        _ = hub.send(Fixture.envelope(2, to: Fixture.bob, ttl: 3600), on: a)
        #expect(hub.tick(now: Fixture.start + .seconds(61)) == [.delete([Fixture.id(1)])])
        #expect(hub.heldCount == 1)

        var fresh = Fixture.hub()
        let meta = { (seq: UInt64, tag: UInt8, expiry: Int64) in
            StoredEnvelopeMeta(
                sequence: seq,
                id: Fixture.id(tag),
                sender: Fixture.alice.nodeID,
                recipient: Fixture.bob.nodeID,
                byteCount: 8,
                expiresAt: Fixture.start + .seconds(expiry)
            )
        }
        #expect(fresh.restore([meta(7, 7, 10), meta(3, 3, -1)], now: Fixture.start) == [.delete([Fixture.id(3)])])
        try fresh.logIn(Fixture.alice, on: a)
        #expect(persisted(fresh.send(Fixture.envelope(9, to: Fixture.bob), on: a)).map(\.meta.sequence) == [8])
    }

    @Test func shutdownClosesEveryoneAndPersistsLiveDeliveries() throws {
        var hub = Fixture.hub()
        try hub.logIn(Fixture.alice, on: a)
        try hub.logIn(Fixture.bob, on: b)
        _ = hub.send(Fixture.envelope(1, to: Fixture.bob), on: a)
        let actions = hub.shutdown(now: Fixture.start)
        #expect(refusals(actions) == [.shuttingDown, .shuttingDown])
        #expect(persisted(actions).map(\.meta.id) == [Fixture.id(1)])
        #expect(refusals(hub.connect(ConnectionID(9), source: "127.0.0.1", now: Fixture.start)) == [.shuttingDown])
    }
}
