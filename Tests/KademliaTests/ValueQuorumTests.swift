import MeshCore
import Testing

@testable import Kademlia

/// A value lookup that holds a record ends once a quorum of the k closest, at plausible distances, has answered
/// (decision 0106); without an estimate of the network's size, or with the quorum at 1, it hears all of them
/// (decision 0105). Driven on the sans-IO `Lookup` itself, so each count is exact.
@Suite struct ValueQuorumTests {
    let now = Fixture.start
    let target = try! NodeID(bytes: [UInt8](repeating: 0, count: 32))

    func record() throws -> ValidatedRecord { try Fixture.lookupRecord(now: now) }

    /// A value lookup over `prefixes.count` candidates, all asked, holding a record.
    func lookup(prefixes: [Int], implausiblePrefix: Int, quorum: Double = 0.75) throws -> Lookup {
        var config = KademliaConfig()
        config.valueLookupQuorum = quorum
        let seeds = prefixes.enumerated().map { index, prefix in
            Contact(id: Fixture.id(sharing: prefix, withZeroAt: index), address: Fixture.address(UInt8(index + 1)))
        }
        var lookup = Lookup(
            id: QueryID(rawValue: 1),
            kind: .findValue,
            target: target,
            seeds: seeds,
            now: now,
            config: config
        )
        lookup.implausiblePrefix = implausiblePrefix
        lookup.foundRecord = (try record(), 1, now)
        #expect(lookup.next().count == seeds.count, "with a record in hand the rest of the k closest go at once")
        return lookup
    }

    /// Marks answered the candidates at these positions (closest first).
    func answer(_ lookup: inout Lookup, _ positions: Range<Int>) {
        let ids = lookup.candidates.map(\.contact.id)
        for position in positions { lookup.mark(ids[position], .answered) }
    }

    @Test func fifteenOfTwentyPlausibleAnswersEndTheLookup() throws {
        var lookup = try lookup(prefixes: Array(repeating: 3, count: 20), implausiblePrefix: 8)
        answer(&lookup, 0..<14)
        #expect(!lookup.isFinished(now: now))
        answer(&lookup, 14..<15)
        #expect(lookup.isFinished(now: now))
    }

    @Test func withoutASizeEstimateEveryOneOfTheKClosestIsHeard() throws {
        var lookup = try lookup(prefixes: Array(repeating: 3, count: 20), implausiblePrefix: .max)
        answer(&lookup, 0..<19)
        #expect(!lookup.isFinished(now: now))
        answer(&lookup, 19..<20)
        #expect(lookup.isFinished(now: now))
    }

    @Test func aQuorumOfOneHearsEveryOne() throws {
        var lookup = try lookup(prefixes: Array(repeating: 3, count: 20), implausiblePrefix: 8, quorum: 1)
        answer(&lookup, 0..<19)
        #expect(!lookup.isFinished(now: now))
        answer(&lookup, 19..<20)
        #expect(lookup.isFinished(now: now))
    }

    /// A quorum of 0 (`dht serve --value-lookup-quorum 0`, for measurements only: `meshbench dht-net
    /// --ours-value-quorum 0`) keeps the first record: the lookup ends once it holds one, before any other answer,
    /// as bmuller's kademlia does, without the replay defence.
    @Test func aQuorumOfZeroEndsAtTheFirstRecord() throws {
        let firstWins = try lookup(prefixes: Array(repeating: 3, count: 20), implausiblePrefix: 8, quorum: 0)
        #expect(firstWins.isFinished(now: now))
        let defended = try lookup(prefixes: Array(repeating: 3, count: 20), implausiblePrefix: 8)
        #expect(!defended.isFinished(now: now))
    }

    /// Also in a network too small to estimate (fewer than k contacts), where a defended lookup hears every one of
    /// the k closest: a quorum of 0 asks for no defence, so there is no cluster to guard against (decision 0125).
    /// Before, such a lookup heard them all, and the race's small networks measured the defence under "quorum 0".
    @Test func aQuorumOfZeroEndsAtTheFirstRecordWithoutAnEstimate() throws {
        let firstWins = try lookup(prefixes: Array(repeating: 3, count: 4), implausiblePrefix: .max, quorum: 0)
        #expect(firstWins.isFinished(now: now))
        let defended = try lookup(prefixes: Array(repeating: 3, count: 4), implausiblePrefix: .max)
        #expect(!defended.isFinished(now: now))
    }

    /// Eight Sybils ground implausibly close to the key answer first; their answers do not count, so the twelve
    /// plausible storers cannot reach fifteen and every one of the twenty must answer.
    @Test func implausiblyCloseAnswersDoNotMakeTheQuorum() throws {
        var lookup = try lookup(
            prefixes: Array(repeating: 12, count: 8) + Array(repeating: 3, count: 12),
            implausiblePrefix: 8
        )
        #expect(lookup.candidates.prefix(8).allSatisfy { target.commonPrefixLength(with: $0.contact.id) == 12 })
        answer(&lookup, 0..<19)
        #expect(!lookup.isFinished(now: now))
        answer(&lookup, 19..<20)
        #expect(lookup.isFinished(now: now))
    }

    /// Without a record the quorum does not apply: a lookup that found nothing goes on until the k closest answered.
    @Test func noRecordNoQuorum() throws {
        var lookup = try lookup(prefixes: Array(repeating: 3, count: 20), implausiblePrefix: 8)
        lookup.foundRecord = nil
        answer(&lookup, 0..<15)
        #expect(!lookup.isFinished(now: now))
    }
}
