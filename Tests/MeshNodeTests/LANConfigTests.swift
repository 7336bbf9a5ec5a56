import Foundation
import Kademlia
import Testing

@testable import MeshNode

/// `dht.lan` and `dht.lanFamily` in config.json: LAN discovery for `meshpeer run` (scripts/test.d/31-dht-lan.sh runs
/// it between two network namespaces).
@Suite struct LANConfigTests {
    func decode(_ text: String) throws -> NodeConfiguration {
        try JSONDecoder().decode(NodeConfiguration.self, from: Data(text.utf8))
    }

    @Test func offUnlessAnInterfaceIsNamed() throws {
        let plain = try decode(#"{"dht": {"listen": ["0.0.0.0:0"]}}"#)
        #expect(plain.dht.lan == nil)
        #expect(plain.dht.lanFamily == .both)
        let on = try decode(#"{"dht": {"lan": "eth0", "lanFamily": "ipv6"}}"#)
        #expect(on.dht.lan == "eth0")
        #expect(on.dht.lanFamily == .ipv6)
    }

    @Test func anUnknownFamilyIsRefusedByName() throws {
        let error = #expect(throws: ConfigurationError.self) { try decode(#"{"dht": {"lanFamily": "ipx"}}"#) }
        #expect(error?.description.hasPrefix("dht.lanFamily") == true)
    }
}
