import MeshCore
import Testing

@testable import RelayFallback

@Suite struct HomeRelaySelectorTests {
    func selector(_ count: Int, policy: HomeRelaySelector.Policy = .init()) -> HomeRelaySelector {
        HomeRelaySelector(
            candidates: (1...count).map {
                .init(address: RelayAddress(host: "192.0.2.\($0)", port: 7400), key: nil)
            },
            policy: policy
        )
    }

    let now = Fixture.start

    @Test func keepsTheTwoFastestMeasuredRelays() {
        var homes = selector(4)
        homes.recordRoundTrip(0, .milliseconds(90))
        homes.recordRoundTrip(1, .milliseconds(10))
        homes.recordRoundTrip(2, .milliseconds(40))
        let change = homes.reselect(now: now)
        #expect(homes.homes == [1, 2])
        #expect(change.added.sorted() == [1, 2] && change.removed.isEmpty)
    }

    @Test func unmeasuredRelaysStillMakeUpTwoHomes() {
        var homes = selector(3)
        homes.recordRoundTrip(2, .milliseconds(30))
        homes.reselect(now: now)
        #expect(homes.homes == [2, 0])
    }

    @Test func aFailingHomeIsReplacedAndComesBackOnlyAfterItsCooldown() {
        var homes = selector(3)
        for (index, ms) in [10, 20, 30].enumerated() { homes.recordRoundTrip(index, .milliseconds(Int64(ms))) }
        homes.reselect(now: now)
        #expect(homes.homes == [0, 1])
        homes.recordFailure(0, now: now)
        #expect(homes.reselect(now: now).removed.isEmpty, "one failure is not enough")
        homes.recordFailure(0, now: now)
        let change = homes.reselect(now: now)
        #expect(homes.homes == [1, 2])
        #expect(change.added == [2] && change.removed == [0])
        #expect(!homes.isHealthy(0, now: now + .seconds(299)))
        // After the cooldown the old home is a candidate again and, being much faster, returns.
        homes.recordRoundTrip(0, .milliseconds(1))
        homes.recordRoundTrip(2, .milliseconds(60))
        homes.reselect(now: now + .seconds(300))
        #expect(homes.homes.contains(0))
    }

    @Test func homesDoNotFlapOnSmallDifferences() {
        var homes = selector(3)
        homes.recordRoundTrip(0, .milliseconds(30))
        homes.recordRoundTrip(1, .milliseconds(31))
        homes.reselect(now: now)
        homes.recordRoundTrip(2, .milliseconds(20))
        #expect(homes.reselect(now: now).added.isEmpty, "20 ms is not twice as fast as 31 ms")
        homes.recordRoundTrip(2, .milliseconds(1))
        homes.recordRoundTrip(2, .milliseconds(1))
        homes.recordRoundTrip(2, .milliseconds(1))
        let change = homes.reselect(now: now)
        #expect(change.added == [2] && change.removed == [1], "the slowest home gives way to a much faster relay")
    }

    @Test func whenEveryRelayFailsTheLeastRecentlyFailedAreKept() {
        var homes = selector(
            3,
            policy: {
                var p = HomeRelaySelector.Policy()
                p.failureLimit = 1
                return p
            }()
        )
        homes.reselect(now: now)
        homes.recordFailure(0, now: now)
        homes.recordFailure(1, now: now + .seconds(1))
        homes.recordFailure(2, now: now + .seconds(2))
        homes.reselect(now: now + .seconds(3))
        #expect(homes.homes.count == 2)
        #expect(Set(homes.homes) == [0, 1])
    }

    @Test func candidatesAreDeduplicatedAndBounded() {
        let same = HomeRelaySelector.Candidate(address: RelayAddress(host: "192.0.2.1", port: 1), key: nil)
        #expect(HomeRelaySelector(candidates: [same, same]).candidates.count == 1)
        let many = (0..<100).map {
            HomeRelaySelector.Candidate(address: RelayAddress(host: "192.0.2.1", port: 1_000 + $0), key: nil)
        }
        #expect(HomeRelaySelector(candidates: many).candidates.count == HomeRelaySelector.maximumCandidates)
    }

    @Test func theCandidatesThatAreNotHomesAreMeasuredAgainEveryProbeInterval() {
        var policy = HomeRelaySelector.Policy()
        policy.probeInterval = .seconds(60)
        var homes = selector(4, policy: policy)
        for (index, ms) in [10, 20, 30, 40].enumerated() { homes.recordRoundTrip(index, .milliseconds(Int64(ms))) }
        homes.reselect(now: now)
        // Everything was measured at start: the first call only starts the clock.
        #expect(homes.candidatesToProbe(now: now).isEmpty)
        #expect(homes.candidatesToProbe(now: now + .seconds(59)).isEmpty)
        // Unhealthy candidates wait for their cooldown instead.
        homes.recordFailure(3, now: now)
        homes.recordFailure(3, now: now)
        #expect(homes.candidatesToProbe(now: now + .seconds(60)) == [2])
        #expect(homes.candidatesToProbe(now: now + .seconds(61)).isEmpty)
        #expect(homes.nextProbeAt == now + .seconds(120))
    }
}
