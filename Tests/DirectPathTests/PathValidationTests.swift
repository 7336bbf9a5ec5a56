import MeshCore
import Testing

@testable import DirectPath

/// PATH_CHALLENGE / PATH_RESPONSE: the echo the driver waits for before it follows a peer to a new address.
@Suite struct PathValidationTests {
    static let now = Timestamp(secondsSinceEpoch: 1_700_000_000)

    static func pair() throws -> (DirectChannel, DirectChannel) {
        let link = try SimulatedLink(seed: 91)
        return (link.a, link.b)
    }

    /// Everything `from` sends now, delivered to `to`; returns the verdicts.
    @discardableResult
    static func deliver(_ from: inout DirectChannel, to: inout DirectChannel) -> [DatagramVerdict] {
        var verdicts: [DatagramVerdict] = []
        while let datagram = from.pollTransmit(now: now) { verdicts.append(to.handleDatagram(datagram, now: now)) }
        return verdicts
    }

    @Test func theTokenComesBackOnceAndOnlyAsSent() throws {
        var (a, b) = try Self.pair()
        let challenge = a.pathChallenge(token: 0xC0FF_EE00_1234_5678, now: Self.now)
        #expect(b.handleDatagram(challenge, now: Self.now) == .accepted(packetNumber: 0, isNewest: true))
        Self.deliver(&b, to: &a)
        #expect(a.takePathResponses() == [0xC0FF_EE00_1234_5678])
        #expect(a.takePathResponses().isEmpty, "taken once")
        // The challenge is not in flight: its loss costs the channel nothing.
        #expect(a.pathQuality.unacknowledgedBytes == 0)
    }

    @Test func forgedOrReplayedChallengesGetNoAnswer() throws {
        var (a, b) = try Self.pair()
        let challenge = a.pathChallenge(token: 7, now: Self.now)
        var forged = challenge
        forged[forged.count - 1] ^= 1
        #expect(b.handleDatagram(forged, now: Self.now) == .dropped(.forged))
        #expect(b.pollTransmit(now: Self.now) == nil, "nothing to answer")
        #expect(b.handleDatagram(challenge, now: Self.now) != .dropped(.forged))
        Self.deliver(&b, to: &a)
        #expect(b.handleDatagram(challenge, now: Self.now) == .dropped(.replayed))
        Self.deliver(&b, to: &a)
        #expect(a.takePathResponses() == [7], "one answer for one challenge, however often it is replayed")
    }

    @Test func aFloodOfChallengesIsAnsweredOnlyForTheNewestFour() throws {
        var (a, b) = try Self.pair()
        for token in 1...10 {
            _ = b.handleDatagram(a.pathChallenge(token: UInt64(token), now: Self.now), now: Self.now)
        }
        Self.deliver(&b, to: &a)
        #expect(a.takePathResponses() == [7, 8, 9, 10])
    }

    /// The validator's decisions: the first address at once, any later one only after its echo, from there.
    @Test func aNewAddressIsFollowedOnlyAfterItEchoesTheChallenge() {
        var path = PathValidator<String>()
        var tokens: [UInt64] = [11, 22]
        func newest(_ address: String, at offset: Duration) -> PathValidator<String>.Step {
            path.newestDatagram(
                from: address,
                now: Self.now + offset,
                smoothedRTT: .milliseconds(10),
                freshToken: { tokens.removeFirst() }
            )
        }
        #expect(newest("old", at: .zero) == .follow("old"))
        #expect(newest("old", at: .zero) == .none)
        #expect(newest("new", at: .zero) == .challenge("new", token: 11))
        // Not again within three round trips; then the same token again.
        #expect(newest("new", at: .milliseconds(29)) == .none)
        #expect(newest("new", at: .milliseconds(30)) == .challenge("new", token: 11))
        // An echo from elsewhere, or a wrong token, moves nothing.
        #expect(path.responses([11], from: "attacker") == .none)
        #expect(path.responses([99], from: "new") == .none)
        #expect(path.current == "old")
        #expect(path.responses([99, 11], from: "new") == .follow("new"))
        #expect(path.current == "new" && path.moves == 1)
        #expect(path.responses([11], from: "new") == .none, "an echo counts once")
        // A third address starts over with a fresh token.
        #expect(newest("third", at: .seconds(1)) == .challenge("third", token: 22))
    }

    @Test func anUnansweredAddressIsChallengedAtMostFiveTimes() {
        var path = PathValidator<Int>()
        var challenges = 0
        for step in 0..<50 {
            let answer = path.newestDatagram(
                from: step == 0 ? 1 : 2,
                now: Self.now + .milliseconds(Int64(step) * 100),
                smoothedRTT: .milliseconds(10),
                freshToken: { 7 }
            )
            if case .challenge = answer { challenges += 1 }
        }
        #expect(challenges == PathValidator<Int>.maximumChallenges)
        #expect(path.current == 1)
    }
}
