import RelayFallback
import Testing

@testable import RelayServer

/// The header's client address as the per-source limits key it (decision 0103): printed as `SocketAddress` prints
/// a peer, with an IPv4-mapped IPv6 address counted as IPv4, exactly as `ClientAddress.peer` does for a TCP peer.
@Suite struct ProxyHeaderAddressTests {
    @Test func addressesArePrintedAsTheLimitsKeyThem() {
        #expect(ProxyHeaderHandler.address(ProxyEndpoint(address: [198, 51, 100, 1], port: 1)) == "198.51.100.1")
        let ipv6: [UInt8] = [0x20, 0x01, 0x0D, 0xB8] + [UInt8](repeating: 0, count: 11) + [9]
        #expect(ProxyHeaderHandler.address(ProxyEndpoint(address: ipv6, port: 1)) == "2001:db8::9")
        let mapped: [UInt8] = [UInt8](repeating: 0, count: 10) + [0xFF, 0xFF, 198, 51, 100, 1]
        #expect(ProxyHeaderHandler.address(ProxyEndpoint(address: mapped, port: 1)) == "198.51.100.1")
        #expect(ProxyHeaderHandler.address(ProxyEndpoint(address: [1, 2, 3], port: 1)) == nil)
    }
}
