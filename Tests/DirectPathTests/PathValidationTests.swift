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
}
