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

    /// A relay that published while it knew only its bootstrap node publishes again as its table grows, until three
    /// nodes (or every peer, in a smaller network) hold the advert; a network that cannot take it stops the retries.
    @Test func aJoiningRelayPublishesAgainUntilThreeNodesHoldIt() {
        var schedule = RelayAdvertSchedule(advertLifetime: .seconds(3_600))
        schedule.published(at: start)
        schedule.publishFinished(accepted: 1)
        // One peer, one storer: enough for now.
        #expect(!schedule.isDue(now: start + .seconds(3), peers: 1))
        // The table grew: publish again, after the retry spacing.
        #expect(!schedule.isDue(now: start + .seconds(2), peers: 7))
        #expect(schedule.isDue(now: start + .seconds(3), peers: 7))
        schedule.published(at: start + .seconds(3))
        schedule.publishFinished(accepted: 3)
        #expect(schedule.retries == 1)
        #expect(!schedule.isDue(now: start + .seconds(600), peers: 20))
        #expect(schedule.nextCheck(now: start + .seconds(4)) == start + .seconds(903))
        // The refresh starts a new round.
        schedule.published(at: start + .seconds(903))
        #expect(schedule.retries == 0)
    }

    @Test func retriesStopWhenTheNetworkKeepsRefusing() {
        var schedule = RelayAdvertSchedule(advertLifetime: .seconds(3_600))
        var now = start
        schedule.published(at: now)
        schedule.publishFinished(accepted: 1)
        var publishes = 1
        for _ in 0..<100 where schedule.isDue(now: now + .seconds(3), peers: 10) {
            now = now + .seconds(3)
            schedule.published(at: now)
            schedule.publishFinished(accepted: 1)
            publishes += 1
        }
        #expect(publishes == 1 + RelayAdvertSchedule.maximumRetries)
        #expect(schedule.nextCheck(now: now) == now + .seconds(900))
    }
}
