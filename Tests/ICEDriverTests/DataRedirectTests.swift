import ICE
import MeshCore
import Testing

@testable import ICEDriver

@Suite("Following a NAT rebinding only while ICE keeps the pair")
struct DataRedirectTests {
    let base = TransportAddress(ip: IPAddress("192.0.2.10")!, port: 5_000)
    let remote = TransportAddress(ip: IPAddress("203.0.113.20")!, port: 6_000)
    let rebound = TransportAddress(ip: IPAddress("203.0.113.20")!, port: 29_001)
    let other = TransportAddress(ip: IPAddress("198.51.100.7")!, port: 7_000)

    @Test("data follows the rebound address on the pair it was learnt on, and ICE's answer on any other")
    func redirectAppliesToItsPairOnly() {
        let selected = PairKey(base: base, remote: remote)
        #expect(DataRedirect.destination(for: selected, redirect: nil) == remote)
        let redirect = DataRedirect(pair: selected, remote: rebound)
        #expect(DataRedirect.destination(for: selected, redirect: redirect) == rebound)
        let reselected = PairKey(base: base, remote: other)
        #expect(DataRedirect.destination(for: reselected, redirect: redirect) == other)
    }
}
