import MeshCore
import Testing

@testable import RelayFallback

@Suite struct AdvertTests {
    func advert(lifetime: Int64 = 3600) -> RelayAdvert {
        var advert = RelayAdvert(
            relayKey: Fixture.relay.publicKey,
            addresses: ["ws://192.0.2.1:7400/"],
            limits: RelayLimits(),
            issuedAt: Fixture.start.secondsSinceEpoch,
            lifetimeSeconds: lifetime
        )
        advert.sign(with: Fixture.relay)
        return advert
    }

    @Test func aSignedAdvertRoundTripsAndValidates() throws {
        let decoded = try RelayAdvert.decode(advert().encoded())
        #expect(decoded == advert())
        try decoded.validate(now: Fixture.start)
    }

    @Test func tamperingBreaksTheSignature() throws {
        var bytes = advert().encoded()
        bytes[40] ^= 1
        let tampered = try RelayAdvert.decode(bytes)
        #expect(throws: RelayAdvertError(.badSignature, "the signature does not verify under meshpeer/v1/relay-advert"))
        {
            try tampered.validate(now: Fixture.start)
        }
    }

    @Test func lifetimeAndAddressesAreChecked() throws {
        do {
            try advert().validate(now: Fixture.start + .seconds(3600))
            Issue.record("expired advert accepted")
        } catch let error as RelayAdvertError { #expect(error.code == .expired) }
        do {
            try advert(lifetime: 2 * 24 * 3600).validate(now: Fixture.start)
            Issue.record("long-lived advert accepted")
        } catch let error as RelayAdvertError { #expect(error.code == .lifetimeTooLong) }
        var bad = RelayAdvert(
            relayKey: Fixture.relay.publicKey,
            addresses: ["http://x"],
            limits: RelayLimits(),
            issuedAt: Fixture.start.secondsSinceEpoch,
            lifetimeSeconds: 60
        )
        bad.sign(with: Fixture.relay)
        do {
            try bad.validate(now: Fixture.start)
            Issue.record("bad address accepted")
        } catch let error as RelayAdvertError { #expect(error.code == .badAddress) }
    }

    @Test func decodingIsBoundedAndStrict() {
        #expect(throws: WireError.self) { try RelayAdvert.decode(advert().encoded() + [0]) }
        #expect(throws: WireError.self) { try RelayAdvert.decode([UInt8](repeating: 0, count: 5_000)) }
        #expect(throws: WireError.self) { try RelayAdvert.decode(Array(advert().encoded().prefix(50))) }
    }
}
