import MeshCore
import RelayFallback
import Testing

@Suite struct AdvertScheduleTests {
    let start = Timestamp(secondsSinceEpoch: 1_700_000_000)

    @Test func aLoneNodePublishesAgainOnceItHasPeersThenOnlyRefreshes() {
        var schedule = RelayAdvertSchedule(advertLifetime: .seconds(3_600))
        #expect(schedule.refreshInterval == .seconds(900))
        #expect(schedule.isDue(now: start, peers: 0))
        schedule.published(at: start)
        schedule.publishFinished(accepted: 0)
        // Nobody to publish to: not due while alone, due once a peer appears (after the retry spacing).
        #expect(!schedule.isDue(now: start + .seconds(10), peers: 0))
        #expect(!schedule.isDue(now: start + .seconds(2), peers: 1))
        #expect(schedule.isDue(now: start + .seconds(3), peers: 1))
        #expect(schedule.nextCheck(now: start + .seconds(3)) == start + .seconds(3) + .milliseconds(250))
        schedule.published(at: start + .seconds(3))
        schedule.publishFinished(accepted: 5)
        // Accepted: quiet until the refresh, whatever the peers do.
        #expect(!schedule.isDue(now: start + .seconds(600), peers: 20))
        #expect(schedule.nextCheck(now: start + .seconds(4)) == start + .seconds(903))
        #expect(schedule.isDue(now: start + .seconds(903), peers: 20))
    }
}
