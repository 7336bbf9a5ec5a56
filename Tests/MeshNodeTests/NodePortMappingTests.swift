import ICE
import MeshCore
import NIOCore
import Testing

@testable import MeshNode

/// Which DHT socket the node maps on its gateway (decision 0111): only one that takes what the gateway forwards to
/// the host's LAN address.
@Suite("The node's own port mapping: which DHT port")
struct NodePortMappingTests {
    let host = IPAddress("192.0.2.66")!

    func bound(_ addresses: String...) throws -> [SocketAddress] {
        try addresses.map { text in
            let address = try #require(TransportAddress(text))
            return try SocketAddress(ipAddress: address.ip.description, port: Int(address.port))
        }
    }

    @Test("the wildcard or the host's own address is mapped; IPv6 sockets are skipped")
    func mappable() throws {
        #expect(AgentNode.mappableDHTPort(try bound("[::]:4301", "0.0.0.0:4300"), host: host) == 4_300)
        #expect(AgentNode.mappableDHTPort(try bound("192.0.2.66:4302"), host: host) == 4_302)
    }

    @Test("loopback, another address or IPv6 alone get no mapping")
    func notMappable() throws {
        #expect(AgentNode.mappableDHTPort(try bound("127.0.0.1:4300"), host: host) == nil)
        #expect(AgentNode.mappableDHTPort(try bound("192.0.2.7:4300"), host: host) == nil)
        #expect(AgentNode.mappableDHTPort(try bound("[2001:db8::66]:4300"), host: host) == nil)
        #expect(AgentNode.mappableDHTPort([], host: host) == nil)
    }
}
