import MeshCore
import Testing

@testable import MeshPeer

@Suite struct PendingKnocksTests {
    var random = SeededRandom(seed: 30)

    mutating func held(_ sender: String, bytes: Int = 100, at seconds: Int64 = 0) -> HeldKnock {
        HeldKnock(
            id: MessageID.random(using: &random),
            sender: sender,
            intent: Intent.chatMessage,
            purpose: "hello",
            introducedBy: nil,
            receivedAt: epoch + .seconds(seconds),
            byteCount: bytes
        )
    }

    @Test mutating func theOldestKnockMakesRoomWhenTheCountIsReached() {
        var pending = PendingKnocks(configuration: .init(maximumCount: 2))
        let (a, b, c) = (held("a"), held("b"), held("c"))
        #expect(pending.insert(a, now: epoch) == .held(evicted: []))
        #expect(pending.insert(b, now: epoch) == .held(evicted: []))
        #expect(pending.insert(c, now: epoch) == .held(evicted: [PendingEviction(id: a.id, reason: .full)]))
        #expect(pending.knocks.map(\.id) == [b.id, c.id])
        #expect(pending.count == 2)
        #expect(pending.byteCount == 200)
        #expect(!pending.contains(a.id) && pending.contains(b.id))
    }

    @Test mutating func bytesAreBoundedToo() {
        var pending = PendingKnocks(configuration: .init(maximumCount: 10, maximumBytes: 1_000))
        let (a, b, c) = (held("a", bytes: 400), held("b", bytes: 400), held("c", bytes: 700))
        _ = pending.insert(a, now: epoch)
        _ = pending.insert(b, now: epoch)
        #expect(
            pending.insert(c, now: epoch)
                == .held(evicted: [PendingEviction(id: a.id, reason: .full), PendingEviction(id: b.id, reason: .full)])
        )
        #expect(pending.byteCount == 700)
        #expect(pending.insert(held("d", bytes: 1_001), now: epoch) == .tooLarge)
        #expect(pending.insert(c, now: epoch) == .duplicate)
        #expect(pending.byteCount == 700)
    }

    @Test mutating func aSenderAlreadyPendingIsReplacedByItsNewestKnock() {
        var pending = PendingKnocks()
        let (first, other, second) = (held("a"), held("b"), held("a"))
        _ = pending.insert(first, now: epoch)
        _ = pending.insert(other, now: epoch)
        #expect(
            pending.insert(second, now: epoch)
                == .held(evicted: [PendingEviction(id: first.id, reason: .replacedBySameSender)])
        )
        #expect(pending.knocks.map(\.id) == [other.id, second.id])

        var two = PendingKnocks(configuration: .init(maximumPerSender: 2))
        let (one, twoIDs, three) = (held("a"), held("a"), held("a"))
        _ = two.insert(one, now: epoch)
        #expect(two.insert(twoIDs, now: epoch) == .held(evicted: []))
        #expect(
            two.insert(three, now: epoch)
                == .held(evicted: [PendingEviction(id: one.id, reason: .replacedBySameSender)])
        )
    }

    @Test mutating func oldKnocksExpireAndRemovalFreesTheirBytes() {
        var pending = PendingKnocks(configuration: .init(maximumAge: .seconds(3_600)))
        let (old, young) = (held("a", at: 0), held("b", at: 3_000))
        _ = pending.insert(old, now: epoch)
        _ = pending.insert(young, now: epoch + .seconds(3_000))
        let late = held("c", at: 3_700)
        #expect(
            pending.insert(late, now: epoch + .seconds(3_700))
                == .held(evicted: [PendingEviction(id: old.id, reason: .expired)])
        )
        #expect(pending.remove(id: young.id) == young)
        #expect(pending.remove(id: young.id) == nil)
        #expect(pending.byteCount == 100)
        #expect(pending.expire(now: epoch + .seconds(8_000)) == [late.id])
        #expect(pending.count == 0 && pending.byteCount == 0)
    }

    @Test func theDefaultsAreTheDocumentedOnes() {
        let configuration = PendingKnocks.Configuration()
        #expect(configuration.maximumCount == 256)
        #expect(configuration.maximumBytes == 1_048_576)
        #expect(configuration.maximumPerSender == 1)
    }
}
