import MeshCore
import Testing

@Suite("KeyedRateLimiter")
struct KeyedRateLimiterTests {
    let start = Timestamp(secondsSinceEpoch: 1_000)

    @Test("a key gets its burst, then its rate")
    func burstThenRate() {
        var limiter = KeyedRateLimiter<Int>(rate: TokenRate(perSecond: 2, burst: 3), capacity: 8)
        let first = (0..<4).map { _ in limiter.allow(1, now: start) }
        #expect(first == [true, true, true, false])
        let r1 = limiter.allow(1, now: start + .milliseconds(500))
        #expect(r1)
        let r2 = limiter.allow(1, now: start + .milliseconds(500))
        #expect(!r2)
        let r3 = limiter.allow(2, now: start)
        #expect(r3, "another key has its own bucket")
    }

    @Test("a cost larger than the tokens left takes nothing")
    func costIsAllOrNothing() {
        var limiter = KeyedRateLimiter<Int>(rate: TokenRate(perSecond: 0, burst: 10), capacity: 8)
        let r4 = limiter.allow(1, cost: 7, now: start)
        #expect(r4)
        let r5 = limiter.allow(1, cost: 4, now: start)
        #expect(!r5)
        #expect(limiter.wouldAllow(1, cost: 3, now: start))
        let r6 = limiter.allow(1, cost: 3, now: start)
        #expect(r6)
        #expect(!limiter.wouldAllow(1, now: start))
    }

    @Test("the total bucket caps every key together, and a refusal by either takes from neither")
    func totalBucket() {
        let limits = KeyedRateLimiter<Int>.Limits(
            perKey: TokenRate(perSecond: 0, burst: 2),
            total: TokenRate(perSecond: 0, burst: 3),
            maximumKeys: 8
        )
        var limiter = KeyedRateLimiter<Int>(limits: limits)
        let results = [
            limiter.allow(1, now: start), limiter.allow(1, now: start), limiter.allow(1, now: start),
            limiter.allow(2, now: start), limiter.allow(3, now: start),
        ]
        #expect(results == [true, true, false, true, false])
    }

    @Test("a full table forgets an idle key before a busy one, without scanning")
    func idleKeysGoFirst() {
        var limiter = KeyedRateLimiter<Int>(rate: TokenRate(perSecond: 1, burst: 2), capacity: 2)
        // Key 1 is tracked first but keeps draining; key 2 is tracked later and refills completely.
        let r7 = limiter.allow(1, now: start)
        #expect(r7)
        let r8 = limiter.allow(2, now: start)
        #expect(r8)
        let r9 = limiter.allow(1, now: start + .seconds(5))
        #expect(r9)
        let r10 = limiter.allow(1, now: start + .seconds(5))
        #expect(r10)
        let r11 = limiter.allow(3, now: start + .seconds(5))
        #expect(r11)  // forgets key 2 (idle), keeps key 1 (empty bucket)
        #expect(limiter.trackedKeys == 2)
        let r12 = limiter.allow(1, now: start + .seconds(5))
        #expect(!r12, "key 1 kept its drained bucket")
    }

    @Test("when every key is busy the oldest is forgotten after a bounded number of probes")
    func allBusy() {
        var limiter = KeyedRateLimiter<Int>(rate: TokenRate(perSecond: 0, burst: 1), capacity: 2)
        var results = [limiter.allow(1, now: start), limiter.allow(1, now: start), limiter.allow(2, now: start)]
        #expect(!limiter.wouldAllow(2, now: start))
        results.append(limiter.allow(3, now: start))  // key 1 forgotten
        #expect(limiter.trackedKeys == 2)
        results.append(limiter.allow(1, now: start))  // a fresh bucket; key 2 forgotten
        results.append(limiter.allow(2, now: start))
        #expect(results == [true, false, true, true, true, true])
        #expect(limiter.trackedKeys == 2)
    }

    @Test("the table stays bounded under a flood of fresh keys")
    func boundedUnderFlood() {
        var limiter = KeyedRateLimiter<Int>(rate: TokenRate(perSecond: 1, burst: 1), capacity: 100)
        for key in 0..<100_000 { _ = limiter.allow(key, now: start + .milliseconds(Int64(key / 1000))) }
        #expect(limiter.trackedKeys == 100)
    }
}
