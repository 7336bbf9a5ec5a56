import MeshCore
import Testing

@testable import RelayFallback

/// The first-contact quota (issue 11, "at the relay"): a recipient's contact list splits its mailbox, so a flood
/// from senders it does not know fills only their own, smaller quota.
@Suite struct HubContactsTests {
    let a = ConnectionID(1)
    let b = ConnectionID(2)
    let c = ConnectionID(3)
    let week = Duration.seconds(7 * 24 * 3600)

    func meta(_ tag: UInt8, _ sequence: UInt64, from sender: AgentIdentity, firstContact: Bool) -> StoredEnvelopeMeta {
        StoredEnvelopeMeta(
            sequence: sequence,
            id: Fixture.id(tag),
            sender: sender.nodeID,
            recipient: Fixture.bob.nodeID,
            byteCount: 8,
            expiresAt: Fixture.start + week,
            isFirstContact: firstContact
        )
    }

    func stored(_ meta: StoredEnvelopeMeta, answering connection: ConnectionID) -> [RelayHubAction] {
        [
            .persist([StoredEnvelope(meta: meta, payload: [UInt8](repeating: meta.id.bytes[0], count: 8))]),
            .send(connection, .accepted(meta.id, .stored)),
        ]
    }

    @Test func strangersFillOnlyTheFirstContactQuotaAndContactsKeepTheMailbox() throws {
        var limits = RelayLimits()
        limits.firstContactMaximumCount = 2
        limits.mailboxMaximumCount = 1
        var hub = Fixture.hub(limits)
        try hub.logIn(Fixture.bob, on: b)
        let listed = hub.receive(b, bytes: RelayMessage.contacts([Fixture.alice.nodeID]).encoded(), now: Fixture.start)
        #expect(listed == [])
        #expect(hub.contactEntries == 1)
        _ = hub.disconnect(b, now: Fixture.start)
        try hub.logIn(Fixture.carol, on: c)
        try hub.logIn(Fixture.alice, on: a)

        // Carol is not a contact: two fit her quota, the third is refused with its own code.
        #expect(
            hub.send(Fixture.envelope(1, to: Fixture.bob), on: c)
                == stored(meta(1, 1, from: Fixture.carol, firstContact: true), answering: c)
        )
        #expect(
            hub.send(Fixture.envelope(2, to: Fixture.bob), on: c)
                == stored(meta(2, 2, from: Fixture.carol, firstContact: true), answering: c)
        )
        #expect(
            hub.send(Fixture.envelope(3, to: Fixture.bob), on: c) == [
                .send(
                    c,
                    .refused(
                        RelayRefusal(
                            .firstContactQuotaExceeded,
                            envelopeID: Fixture.id(3),
                            "the recipient's first-contact quota is full; retry later"
                        )
                    )
                )
            ]
        )
        // Alice is a contact: the stranger's envelopes do not count against the mailbox (of one).
        #expect(
            hub.send(Fixture.envelope(4, to: Fixture.bob), on: a)
                == stored(meta(4, 3, from: Fixture.alice, firstContact: false), answering: a)
        )
        #expect(refusals(hub.send(Fixture.envelope(5, to: Fixture.bob), on: a)) == [.recipientQuotaExceeded])

        // Bob takes everything and acknowledges it: the quota is free again and the IDs are remembered.
        let login = try hub.logIn(Fixture.bob, on: b)
        let metas = [
            meta(1, 1, from: Fixture.carol, firstContact: true), meta(2, 2, from: Fixture.carol, firstContact: true),
            meta(4, 3, from: Fixture.alice, firstContact: false),
        ]
        #expect(login.last == .deliverStored(b, metas))
        let acked = hub.receive(b, bytes: RelayMessage.ack(metas.map(\.id)).encoded(), now: Fixture.start)
        #expect(
            acked == [
                .remember(metas.map { DeliveredRecord(id: $0.id, expiresAt: $0.expiresAt) }),
                .delete(metas.map(\.id)),
            ]
        )
        #expect(hub.heldCount == 0)
    }

    @Test func withoutAListEverySenderUsesTheMailboxAndAnEmptyListMakesEveryoneAFirstContact() throws {
        var limits = RelayLimits()
        limits.firstContactMaximumCount = 0
        var hub = Fixture.hub(limits)
        try hub.logIn(Fixture.alice, on: a)
        #expect(refusals(hub.send(Fixture.envelope(1, to: Fixture.bob), on: a)) == [])
        try hub.logIn(Fixture.bob, on: b)
        _ = hub.receive(b, bytes: RelayMessage.contacts([]).encoded(), now: Fixture.start)
        #expect(refusals(hub.send(Fixture.envelope(2, to: Fixture.bob), on: a)) == [.firstContactQuotaExceeded])
    }

    @Test func theListsOfOfflineRecipientsAreForgottenOldestFirstBeyondTheBound() throws {
        var limits = RelayLimits()
        limits.contactEntriesMaximum = 2
        var hub = Fixture.hub(limits)
        try hub.logIn(Fixture.bob, on: b)
        _ = hub.receive(b, bytes: RelayMessage.contacts([Fixture.alice.nodeID]).encoded(), now: Fixture.start)
        _ = hub.disconnect(b, now: Fixture.start)
        try hub.logIn(Fixture.carol, on: c)
        _ = hub.receive(
            c,
            bytes: RelayMessage.contacts([Fixture.alice.nodeID, Fixture.bob.nodeID]).encoded(),
            now: Fixture.start
        )
        #expect(hub.contactEntries == 2, "bob's list (offline, oldest) went; carol's (online) stayed")
        #expect(hub.contactLists[Fixture.bob.nodeID] == nil)
    }

    @Test func theContactsFrameHasTheDocumentedLayoutAndABoundedCount() throws {
        let bytes = RelayMessage.contacts([Fixture.alice.nodeID]).encoded()
        #expect(Hex.encode(bytes) == "4d5001020c000000220001" + Fixture.alice.nodeID.hex)
        var writer = WireWriter()
        writer.write(UInt16(RelayMessage.maximumContactCount + 1))
        let tooMany = Frame(type: RelayFrameType.contacts.rawValue, payload: writer.bytes).encoded()
        #expect(throws: WireError.self) { try RelayMessage.decode(tooMany) }
    }
}
