import MeshCore
import Testing

@testable import Kademlia

/// A value lookup asks the candidates in the key's neighbourhood at once, and implausibly close candidates take
/// none of the k places, so made-up sybils in flight neither hold back the quorum nor lower it (decision 0114).
/// Driven on the sans-IO `Lookup`, so each count is exact. The first, second and fourth fail with the change undone;
/// the others pin what must not change.
@Suite struct NeighbourhoodLookupTests {
    let now = Fixture.start
    let target = try! NodeID(bytes: [UInt8](repeating: 0, count: 32))

    /// `count` contacts sharing exactly `prefix` leading bits with the all-zero target, from index `first`.
    func contacts(prefix: Int, count: Int, from first: Int) -> [Contact] {
        (first..<first + count).map { index in
            Contact(
                id: Fixture.id(sharing: prefix, withZeroAt: index),
                address: Fixture.address(UInt8(index % 250 + 1))
            )
        }
    }

    func record() throws -> ValidatedRecord { try Fixture.lookupRecord(now: now) }

    /// A lookup whose asker estimates the network's size: the neighbourhood starts at 5 shared bits, implausible
    /// closeness at 8.
    func lookup(_ kind: LookupKind, seeds: [Contact]) -> Lookup {
        var lookup = Lookup(
            id: QueryID(rawValue: 1),
            kind: kind,
            target: target,
            seeds: seeds,
            now: now,
            config: KademliaConfig()
        )
        lookup.implausiblePrefix = 8
        lookup.neighbourhoodPrefix = 5
        return lookup
    }

    @Test func aValueLookupAsksTheWholeNeighbourhoodAtOnce() throws {
        var lookup = lookup(.findValue, seeds: contacts(prefix: 6, count: 20, from: 0))
        #expect(lookup.alpha == 10)
        #expect(lookup.next().count == 20)
    }

    /// Far from the key it keeps α in flight; a neighbour learned later is asked at once, past the α limit.
    @Test func outsideTheNeighbourhoodItKeepsAlphaInFlight() throws {
        var lookup = lookup(.findValue, seeds: contacts(prefix: 3, count: 20, from: 0))
        #expect(lookup.next().count == 10)
        #expect(lookup.next().isEmpty)
        lookup.add(contacts(prefix: 6, count: 5, from: 100), depth: 2)
        let asked = lookup.next()
        #expect(asked.count == 5)
        #expect(asked.allSatisfy { target.commonPrefixLength(with: $0.id) == 6 })
    }

    /// Only value lookups: a node lookup (a publish, a refresh) keeps α, as does a lookup without a size estimate.
    @Test func nodeLookupsAndLookupsWithoutAnEstimateKeepAlpha() throws {
        var findNode = lookup(.findNode, seeds: contacts(prefix: 6, count: 20, from: 0))
        #expect(findNode.next().count == 10)
        var unknown = lookup(.findValue, seeds: contacts(prefix: 6, count: 20, from: 0))
        unknown.neighbourhoodPrefix = .max
        #expect(unknown.next().count == 10)
    }

    /// With no quorum to make (`valueLookupQuorum` 0: the first record ends it), the neighbourhood is not asked at
    /// once: α, as a node lookup. Before decision 0125 such a lookup asked all twenty and stopped at the first answer.
    @Test func aLookupWithoutAQuorumKeepsAlpha() throws {
        var config = KademliaConfig()
        config.valueLookupQuorum = 0
        var lookup = Lookup(
            id: QueryID(rawValue: 1),
            kind: .findValue,
            target: target,
            seeds: contacts(prefix: 6, count: 20, from: 0),
            now: now,
            config: config
        )
        lookup.implausiblePrefix = 8
        lookup.neighbourhoodPrefix = 5
        #expect(lookup.next().count == config.alpha)
        #expect(lookup.next().isEmpty)
        lookup.foundRecord = (try record(), 1, now)
        #expect(lookup.isFinished(now: now))
    }

    /// Eight made-up sybils sort closest to the key and never answer. They are asked, yet the twenty plausible
    /// neighbours behind them are asked too, and fifteen of those answering end the lookup (before, the sybils held
    /// eight of the k places until each went slow, 400 ms, and the last eight neighbours were not even asked).
    @Test func sybilsInFlightDoNotHoldBackTheQuorum() throws {
        let sybils = contacts(prefix: 12, count: 8, from: 0)
        let storers = contacts(prefix: 6, count: 20, from: 20)
        var lookup = lookup(.findValue, seeds: sybils + storers)
        lookup.foundRecord = (try record(), 1, now)
        #expect(lookup.next().count == 28)
        for storer in storers.prefix(14) { lookup.mark(storer.id, .answered) }
        #expect(!lookup.isFinished(now: now))
        lookup.mark(storers[14].id, .answered)
        #expect(lookup.isFinished(now: now))
    }

    /// Nor do they lower the bar: with eight sybils and only twelve plausible candidates known, the quorum is still
    /// fifteen of k, which twelve cannot make; every one of the twenty must answer, as under decision 0106.
    @Test func sybilsDoNotLowerTheBar() throws {
        let sybils = contacts(prefix: 12, count: 8, from: 0)
        let storers = contacts(prefix: 3, count: 12, from: 20)
        var lookup = lookup(.findValue, seeds: sybils + storers)
        lookup.foundRecord = (try record(), 1, now)
        #expect(lookup.next().count == 20)
        for storer in storers { lookup.mark(storer.id, .answered) }
        for sybil in sybils.prefix(7) { lookup.mark(sybil.id, .answered) }
        #expect(!lookup.isFinished(now: now))
        lookup.mark(sybils[7].id, .answered)
        #expect(lookup.isFinished(now: now))
    }
}
