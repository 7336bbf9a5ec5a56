import ICE
import MeshCore
import Testing

/// Host candidates alternate address families, IPv6 first (RFC 8421 §4), so a family that is broken on this
/// network delays the other's checks by at most one pacing interval.
@Suite struct HostPreferenceTests {
    func address(_ text: String, _ port: UInt16 = 5_000) -> TransportAddress {
        TransportAddress(ip: IPAddress(text)!, port: port)
    }

    @Test func familiesAlternateIPv6First() {
        let v4a = address("192.0.2.1")
        let v4b = address("198.51.100.1")
        let v4c = address("203.0.113.1")
        let v6a = address("2001:db8::1")
        let v6b = address("2001:db8::2")
        #expect(HostPreference.interleaved([v4a, v4b, v4c, v6a, v6b]) == [v6a, v4a, v6b, v4b, v4c])
        let preferences = HostPreference.localPreferences(for: [v4a, v4b, v4c, v6a, v6b])
        #expect(preferences[v6a] == 65_535)
        #expect(preferences[v4a] == 65_534)
        #expect(preferences[v6b] == 65_533)
        #expect(preferences[v4b] == 65_532)
        #expect(preferences[v4c] == 65_531)
    }

    @Test func oneFamilyKeepsItsOrder() {
        let list = [address("192.0.2.3"), address("192.0.2.1"), address("192.0.2.2")]
        #expect(HostPreference.interleaved(list) == list)
        #expect(HostPreference.localPreferences(for: list)[list[2]] == 65_533)
    }

    /// The pair an IPv4-only peer would check second under the old order (every IPv4 address first, then IPv6)
    /// is checked first or second now, whatever the number of IPv6 addresses ahead of it.
    @Test func aWorkingFamilyIsNeverMoreThanOnePlaceBehind() {
        let six = (1...4).map { address("2001:db8::\($0)") }
        let four = address("192.0.2.1")
        let preferences = HostPreference.localPreferences(for: six + [four])
        let priorities = (six + [four]).map { Candidate.priority(kind: .host, localPreference: preferences[$0]!) }
        let rankOfFour = priorities.sorted(by: >).firstIndex(of: priorities.last!)!
        #expect(rankOfFour == 1)
    }

    @Test func emptyAndDuplicates() {
        #expect(HostPreference.interleaved([]).isEmpty)
        let one = address("192.0.2.1")
        #expect(HostPreference.localPreferences(for: [one, one]) == [one: 65_535])
    }
}
