import NIOCore
import Testing

@testable import MeshNodeAPI

/// The API's URL as the ready line and the endpoint file give it: written as a user writes the address. A
/// dual-stack socket's IPv4-mapped form (`[::ffff:127.0.0.1]`, seen in the IPv6 lab) is the IPv4 address.
@Suite struct BaseURLTests {
    @Test func addressesAreWrittenAsUsersWriteThem() throws {
        let cases: [(String, String)] = [
            ("127.0.0.1", "http://127.0.0.1:7000"),
            ("::1", "http://[::1]:7000"),
            ("::ffff:127.0.0.1", "http://127.0.0.1:7000"),
            ("2001:db8::5", "http://[2001:db8::5]:7000"),
        ]
        for (ip, url) in cases {
            #expect(LocalAPI.baseURL(of: try SocketAddress(ipAddress: ip, port: 7_000)) == url)
        }
    }
}
