import Foundation
import RelayServer
import Testing

/// The relay's config file: one key style (camelCase), defaults for what is left out, typos refused.
@Suite struct ConfigTests {
    func decode(_ json: String) throws -> RelayServerConfiguration {
        try JSONDecoder().decode(RelayServerConfiguration.self, from: Data(json.utf8))
    }

    @Test func everyKeyIsCamelCaseAndMissingKeysKeepTheirDefaults() async throws {
        let config = try decode(
            """
            {"listen": "127.0.0.1:7500", "data": "/tmp/r", "shutdownGraceSeconds": 2,
             "limits": {"mailboxMaximumCount": 5},
             "dht": {"listen": ["127.0.0.1:4700"], "bootstrap": ["192.0.2.1:4646"], "recordTTLSeconds": 600,
                     "advertise": ["wss://relay.example.org/relay"], "advertLifetimeSeconds": 999999}}
            """
        )
        #expect(config.listen == "127.0.0.1:7500" && config.dataDirectory == "/tmp/r")
        #expect(config.shutdownGraceSeconds == 2)
        #expect(config.limits.mailboxMaximumCount == 5 && config.limits.deliveryWindow == 128)
        let dht = try #require(config.dht)
        #expect(dht.listen == ["127.0.0.1:4700"] && dht.bootstrap == ["192.0.2.1:4646"])
        #expect(dht.recordTTLSeconds == 600 && dht.advertise == ["wss://relay.example.org/relay"])
        #expect(dht.advertLifetimeSeconds == 24 * 3600, "an advert lives at most a day")
        let bare = try decode("{}")
        #expect(bare.dht == nil && bare.shutdownGraceSeconds == 5 && bare.listen == "localhost:7400")
    }

    @Test func misspeltOrOldStyleKeysAreRefusedAtEveryLevel() {
        for json in [
            #"{"shutdown_grace_seconds": 5}"#, #"{"limits": {"mailbox_maximum_count": 5}}"#,
            #"{"dht": {"record_ttl_seconds": 60}}"#, #"{"lisen": "127.0.0.1:1"}"#,
            #"{"tls": {"certificateChain": "a.pem", "key": "b.pem"}}"#,
        ] {
            #expect(throws: (any Error).self, "\(json)") { try decode(json) }
        }
    }

    @Test func anAckWaitOfZeroOrOverADayIsRefusedByName() throws {
        for value in ["0", "-1", "86401"] {
            let config = try decode(#"{"limits": {"ackWaitSeconds": \#(value)}}"#)
            #expect(throws: RelayServerError.self, "\(value)") { try config.check() }
            do {
                try config.check()
            } catch let error as RelayServerError {
                #expect("\(error)".contains("ackWaitSeconds"), "\(error)")
            }
        }
        let config = try decode(#"{"limits": {"ackWaitSeconds": 5}}"#)
        try config.check()
        let bare = try decode("{}")
        #expect(config.limits.ackWaitSeconds == 5 && bare.limits.ackWaitSeconds == 30)
    }
}
