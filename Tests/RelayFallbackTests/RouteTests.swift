import MeshCore
import Testing

@testable import RelayFallback

@Suite struct RouteTests {
    func advert(_ identity: AgentIdentity, _ addresses: [String]) -> RelayAdvert {
        var advert = RelayAdvert(
            relayKey: identity.publicKey,
            addresses: addresses,
            limits: RelayLimits(),
            issuedAt: Fixture.start.secondsSinceEpoch,
            lifetimeSeconds: 3600
        )
        advert.sign(with: identity)
        return advert
    }

    @Test func addressesParseStrictlyAndPrintCanonically() throws {
        let plain = try #require(RelayAddress("ws://192.0.2.1:7400/relay"))
        #expect(plain == RelayAddress(host: "192.0.2.1", port: 7400))
        #expect(RelayAddress("ws://192.0.2.1:7400/") == plain, "an empty path means /relay")
        let v6 = try #require(RelayAddress("wss://[2001:db8::1]/r"))
        #expect(v6.secure && v6.host == "2001:db8::1" && v6.port == 443 && v6.path == "/r")
        #expect(v6.description == "wss://[2001:db8::1]:443/r")
        for bad in [
            "http://192.0.2.1/", "ws://", "ws://:80/", "ws://h:0/", "ws://h:70000/", "ws://u@h/", "ws://h/?q",
            "ws://[2001:db8::1/", "ws://a:b:c/", "ws://h:x/",
        ] {
            #expect(RelayAddress(bad) == nil, "\(bad)")
        }
    }

    @Test func ownHomesFirstThenAdvertisedRelaysThenTheRest() {
        let b = Fixture.identity(71)
        let hops = RelayRoute.hops(
            recipientHomes: [
                "ws://192.0.2.9:1/relay", "ws://192.0.2.2:7400/relay", "nonsense", "ws://192.0.2.1:7400/",
                "ws://192.0.2.2:7400/relay",
            ],
            ownHomes: [RelayAddress(host: "192.0.2.1", port: 7400)],
            adverts: [advert(b, ["ws://192.0.2.2:7400/relay"])]
        )
        #expect(
            hops.map(\.address.description) == [
                "ws://192.0.2.1:7400/relay", "ws://192.0.2.2:7400/relay", "ws://192.0.2.9:1/relay",
            ]
        )
        #expect(hops.map(\.isOwnHome) == [true, false, false])
        #expect(hops[1].expectedKey == b.publicKey)
        #expect(hops[0].expectedKey == nil && hops[2].expectedKey == nil)
    }

    @Test func aRecordNamingManyRelaysIsCut() {
        let many = (1...50).map { "ws://192.0.2.\($0):7400/relay" }
        #expect(RelayRoute.hops(recipientHomes: many, ownHomes: [], adverts: []).count == RelayRoute.maximumHops)
    }

    @Test func dhtAdvertsFitInProviderHintsAndMustNameTheirSigner() throws {
        let relay = Fixture.identity(72)
        let other = Fixture.identity(73)
        let small = advert(relay, ["ws://192.0.2.2:7400/relay", "wss://relay.example.org:443/relay"])
        let hints = try small.encodedForDHT()
        #expect(hints.count <= RelayAdvert.maximumDHTBytes)
        #expect(try RelayAdvert.fromProviderHints(hints, provider: relay.publicKey, now: Fixture.start) == small)
        do {
            _ = try RelayAdvert.fromProviderHints(hints, provider: other.publicKey, now: Fixture.start)
            Issue.record("an advert republished by another relay was accepted")
        } catch let error as RelayAdvertError { #expect(error.code == .wrongProvider) }
        let big = advert(relay, (1...4).map { "wss://relay-\($0).a-rather-long-host-name.example.org:443/relay" })
        #expect(throws: RelayAdvertError.self) { try big.encodedForDHT() }
    }
}
