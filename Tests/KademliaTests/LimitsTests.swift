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
        var limiter = KeyedRateLimiter<[UInt8]>(rate: TokenRate(perSecond: 2, burst: 3), capacity: 2)
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
        #expect(limiter.trackedKeys == 2)
    }

    @Test func rateLimitsCountByIPOnTheInternetAndByPortOnLoopback() {
        let public1 = TransportAddress(ip: [198, 51, 100, 7], port: 1_000)!
        let public2 = TransportAddress(ip: [198, 51, 100, 7], port: 2_000)!
        #expect(public1.rateLimitKey == public2.rateLimitKey)
        #expect(!public1.isLoopback)
        let local1 = Fixture.address(1, port: 1_000)
        let local2 = Fixture.address(1, port: 2_000)
        #expect(local1.isLoopback)
        #expect(local1.rateLimitKey != local2.rateLimitKey)
        let v6Loopback = TransportAddress(ip: [UInt8](repeating: 0, count: 15) + [1], port: 1)!
        #expect(v6Loopback.isLoopback)
    }

    @Test func manyLoopbackClientsDoNotShareOneBucket() {
        var config = KademliaConfig()
        config.rateLimitBurst = 2
        config.rateLimitPerSecond = 1
        let server = Fixture.node(1, config: config)
        // Twenty clients on one host, each within its own burst: none is throttled.
        for port in UInt16(5_000)..<5_020 {
            let client = Fixture.node(UInt64(port), config: config)
            client.bootstrap(from: [Fixture.address(2)], now: Fixture.start)
            for transmit in client.drainTransmits() {
                server.handleDatagram(transmit.bytes, from: Fixture.address(1, port: port), now: Fixture.start)
            }
        }
        #expect(server.counters.dropped[.rateLimited, default: 0] == 0)
        // One public address behind many ports shares a bucket.
        for port in UInt16(5_000)..<5_004 {
            let client = Fixture.node(UInt64(port), config: config)
            client.bootstrap(from: [Fixture.address(2)], now: Fixture.start)
            for transmit in client.drainTransmits() {
                let source = TransportAddress(ip: [198, 51, 100, 7], port: port)!
                server.handleDatagram(transmit.bytes, from: source, now: Fixture.start)
            }
        }
        #expect(server.counters.dropped[.rateLimited, default: 0] == 2)
    }
}
