import MeshCore
import Testing

@testable import MeshPeer

/// The circuit breaker as a state machine: exact answers for given inputs and instants.
@Suite struct CircuitBreakerTests {
    let start = Timestamp(secondsSinceEpoch: 1_800_000_000)

    func quiet() -> BreakerLimits {
        var limits = BreakerLimits()
        limits.sendSpike.count = 0
        limits.newContacts.count = 0
        limits.decryptFailures.count = 0
        limits.newPeers.count = 0
        return limits
    }

    @Test func theOwnerTripsAndResets() {
        var breaker = CircuitBreaker(limits: quiet())
        #expect(breaker.admitSend(peer: "a", intent: "chat.message", now: start).0 == .allowed)
        let trip = breaker.trip(reason: "going on holiday", now: start)
        #expect(
            trip == .init(state: .tripped(reason: "going on holiday", since: start, automatic: false), byOwner: true)
        )
        #expect(breaker.trip(reason: "again", now: start + .seconds(1)) == nil, "the first reason and instant stay")
        let refused = breaker.admitSend(peer: "a", intent: "chat.message", now: start + .seconds(2))
        #expect(refused.0 == .refused(.tripped(reason: "going on holiday")))
        #expect(breaker.reset(now: start + .seconds(3)) == .init(state: .closed, byOwner: true))
        #expect(breaker.reset(now: start + .seconds(4)) == nil)
        #expect(breaker.admitSend(peer: "a", intent: "chat.message", now: start + .seconds(5)).0 == .allowed)
    }

    @Test func perPeerAndPerIntentBucketsRefuseWithoutTripping() {
        var limits = quiet()
        limits.perPeer = TokenRate(perSecond: 1, burst: 2)
        limits.perIntent = TokenRate(perSecond: 1, burst: 3)
        var breaker = CircuitBreaker(limits: limits)
        let results = [
            breaker.admitSend(peer: "a", intent: "x", now: start).0,
            breaker.admitSend(peer: "a", intent: "x", now: start).0,
            breaker.admitSend(peer: "a", intent: "x", now: start).0,
            breaker.admitSend(peer: "b", intent: "x", now: start).0,
            breaker.admitSend(peer: "c", intent: "x", now: start).0,
            breaker.admitSend(peer: "c", intent: "y", now: start).0,
        ]
        #expect(
            results == [
                .allowed, .allowed, .refused(.peerRateLimited("a")), .allowed,
                .refused(.intentRateLimited("x")), .allowed,
            ]
        )
        #expect(!breaker.isTripped)
        // A refused peer send took nothing from the intent's bucket; both refill with time.
        #expect(breaker.admitSend(peer: "a", intent: "x", now: start + .seconds(1)).0 == .allowed)
    }

    @Test func aSendSpikeTripsAutomaticallyWithItsReason() {
        var limits = quiet()
        limits.sendSpike = .init(count: 5, window: .seconds(10))
        var breaker = CircuitBreaker(limits: limits)
        var changes: [CircuitBreaker.Change] = []
        for index in 0..<5 {
            let (verdict, change) = breaker.admitSend(
                peer: "p\(index)",
                intent: "x",
                now: start + .seconds(Int64(index))
            )
            #expect(verdict == .allowed)
            if let change { changes.append(change) }
        }
        let reason = "automatic: send-rate spike, 5 sends within 10 s"
        #expect(
            changes == [
                .init(state: .tripped(reason: reason, since: start + .seconds(4), automatic: true), byOwner: false)
            ]
        )
        #expect(
            breaker.admitSend(peer: "p", intent: "x", now: start + .seconds(5)).0 == .refused(.tripped(reason: reason))
        )
    }

    @Test func sendsSpreadOverTheWindowDoNotTrip() {
        var limits = quiet()
        limits.sendSpike = .init(count: 5, window: .seconds(10))
        var breaker = CircuitBreaker(limits: limits)
        for index in 0..<50 {
            _ = breaker.admitSend(peer: "p", intent: "x", now: start + .seconds(Int64(index) * 3))
        }
        #expect(!breaker.isTripped)
    }

    @Test func manyNewPeersTrip() {
        var limits = quiet()
        limits.newPeers = .init(count: 3, window: .seconds(60))
        var breaker = CircuitBreaker(limits: limits)
        _ = breaker.admitSend(peer: "a", intent: "x", firstContact: true, now: start)
        _ = breaker.admitSend(peer: "a", intent: "x", firstContact: false, now: start)
        _ = breaker.admitSend(peer: "b", intent: "x", firstContact: true, now: start)
        #expect(!breaker.isTripped)
        let (_, change) = breaker.admitSend(peer: "c", intent: "x", firstContact: true, now: start + .seconds(59))
        #expect(
            change?.state
                == .tripped(
                    reason: "automatic: sending to many new peers, 3 within 60 s",
                    since: start + .seconds(59),
                    automatic: true
                )
        )
    }

    @Test func aFloodOfNewContactsAndDecryptFailuresTrip() {
        var limits = quiet()
        limits.newContacts = .init(count: 2, window: .seconds(60))
        limits.decryptFailures = .init(count: 3, window: .seconds(60))
        var breaker = CircuitBreaker(limits: limits)
        #expect(breaker.newContact(now: start) == nil)
        #expect(breaker.newContact(now: start + .seconds(61)) == nil, "outside the window")
        let flood = breaker.newContact(now: start + .seconds(62))
        #expect(
            flood?.state
                == .tripped(
                    reason: "automatic: flood of new contacts, 2 accepted within 60 s",
                    since: start + .seconds(62),
                    automatic: true
                )
        )
        #expect(breaker.reset(now: start + .seconds(70)) != nil)
        #expect(breaker.decryptFailed(now: start + .seconds(70)) == nil)
        #expect(breaker.decryptFailed(now: start + .seconds(71)) == nil)
        let failures = breaker.decryptFailed(now: start + .seconds(72))
        #expect(
            failures?.state
                == .tripped(
                    reason: "automatic: repeated decrypt failures, 3 within 60 s",
                    since: start + .seconds(72),
                    automatic: true
                )
        )
    }

    @Test func aResetStartsTheWindowsAfresh() {
        var limits = quiet()
        limits.decryptFailures = .init(count: 2, window: .seconds(60))
        var breaker = CircuitBreaker(limits: limits)
        _ = breaker.decryptFailed(now: start)
        #expect(breaker.decryptFailed(now: start) != nil)
        _ = breaker.reset(now: start)
        #expect(breaker.decryptFailed(now: start) == nil, "the failures before the reset do not count again")
    }

    @Test func aRestoredTripStaysTripped() {
        var breaker = CircuitBreaker(limits: quiet(), state: .tripped(reason: "r", since: start, automatic: true))
        #expect(breaker.isTripped)
        #expect(breaker.admitSend(peer: "a", intent: "x", now: start).0 == .refused(.tripped(reason: "r")))
        #expect(breaker.reset(now: start) != nil)
    }
}
