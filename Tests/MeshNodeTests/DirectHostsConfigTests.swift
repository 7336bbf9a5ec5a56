import Foundation
import ICE
import Logging
import MeshCore
import NIOPosix
import Testing

@testable import MeshNode

/// `direct.hosts` in config.json: IPv6 in brackets (as every other address in the file is written) binds that
/// address, and an entry that is no address is refused by name. Both were dropped silently before, and the node bound
/// every interface address instead (found by the IPv6 lab, docs/netlab-agents.md).
@Suite struct DirectHostsConfigTests {
    func decode(_ text: String) throws -> NodeConfiguration {
        try JSONDecoder().decode(NodeConfiguration.self, from: Data(text.utf8))
    }

    func boundHosts(_ text: String) throws -> [IPAddress]? {
        let group = MultiThreadedEventLoopGroup.singleton
        return NodeRunner.directSetup(try decode(text), seeds: [], group: group, logger: Logger(label: "test"))?.hosts
    }

    @Test func bracketedIPv6HostsAreTheAddressesBound() throws {
        let text = #"""
            {"dht": {"listen": ["[2001:db8:a::2]:0"]},
             "direct": {"hosts": ["[2001:db8:a::2]", "2001:db8:a::3", "192.0.2.10"]}}
            """#
        #expect(
            try boundHosts(text) == [
                IPAddress("2001:db8:a::2")!, IPAddress("2001:db8:a::3")!, IPAddress("192.0.2.10")!,
            ]
        )
    }

    @Test func aHostThatIsNoAddressIsRefusedByName() throws {
        for bad in ["[192.0.2.10]", "2001:db8::1]", "[2001:db8::1", "192.0.2.300", "localhost", "[2001:db8::1]:0", ""] {
            let text = #"{"direct": {"hosts": ["\#(bad)"]}}"#
            let error = #expect(throws: ConfigurationError.self) { try decode(text) }
            #expect(error?.description.hasPrefix("direct.hosts: ") == true, "\(bad)")
        }
    }

    @Test func aSTUNServerThatIsNoAddressIsRefusedByName() throws {
        for bad in ["stun.example.org:3478", "192.0.2.10", "[2001:db8::1]", "2001:db8::1:3478x", ""] {
            let text = #"{"direct": {"stun": ["\#(bad)"]}}"#
            let error = #expect(throws: ConfigurationError.self) { try decode(text) }
            #expect(error?.description.hasPrefix("direct.stun: ") == true, "\(bad)")
        }
        let good = try decode(#"{"direct": {"stun": ["192.0.2.10:3478", "[2001:db8::10]:3478"]}}"#)
        #expect(good.direct.stun.count == 2)
    }
}
