import Kademlia
import MeshCore
import Testing

@Suite struct LimitsTests {
    @Test func writeTokensLiveForOneToTwoRotations() {
        var random = SeededRandom(seed: 1)
        let tokens = WriteTokens(using: &random, now: Fixture.start)
        let here = Fixture.address(1)
        let there = Fixture.address(2)
        let token = tokens.token(for: here)
        #expect(token.count == 16)
        #expect(tokens.isValid(token, for: here))
        #expect(!tokens.isValid(token, for: there))
        #expect(!tokens.isValid(Array(token.prefix(15)), for: here))
        tokens.rotate(using: &random, now: Fixture.start + .seconds(300))
        #expect(tokens.isValid(token, for: here))
        tokens.rotate(using: &random, now: Fixture.start + .seconds(600))
        #expect(!tokens.isValid(token, for: here))
    }

    @Test func rateLimiterAllowsBurstThenRate() {
        var limiter = RateLimiter(burst: 3, perSecond: 2, capacity: 2)
        let t = Fixture.start
        let results = (0..<5).map { _ in limiter.allow([1, 2, 3, 4], now: t) }
        #expect(results == [true, true, true, false, false])
        let later = [
            limiter.allow([1, 2, 3, 4], now: t + .milliseconds(500)),
            limiter.allow([1, 2, 3, 4], now: t + .milliseconds(500)),
            // The table is bounded: a third source evicts the idlest.
            limiter.allow([5, 5, 5, 5], now: t + .seconds(1)),
            limiter.allow([6, 6, 6, 6], now: t + .seconds(2)),
        ]
        #expect(later == [true, false, true, true])
        #expect(limiter.trackedSources == 2)
    }
}
