import ICE
import Kademlia
import MeshCore
import Testing

@testable import MeshPeer

@Suite("Address hints: the node's mapped DHT port in its record")
struct AddressHintTests {
    let v4 = TransportAddress(ip: IPAddress("203.0.113.70")!, port: 40_001)
    let v6 = TransportAddress(ip: IPAddress("2001:db8::7")!, port: 4_300)

    @Test("both families round-trip, at 8 and 20 bytes")
    func roundTrip() throws {
        for (address, size) in [(v4, 8), (v6, 20)] {
            let hint = AddressHint(kind: .dhtMapped, address: address)
            #expect(hint.bytes.count == size)
            #expect(hint.bytes.count <= AgentRecord.maximumHintBytes)
            #expect(try AddressHint.decode(hint.bytes) == hint)
        }
        #expect(AddressHint(kind: .dhtMapped, address: v4).description == "dht-mapped 203.0.113.70:40001")
    }

    @Test("a malformed hint of a known kind is an error; an unknown kind is skipped, not an error")
    func malformed() throws {
        let good = AddressHint(kind: .dhtMapped, address: v4).bytes
        #expect(throws: AddressHintError.self) { try AddressHint.decode([]) }
        #expect(throws: AddressHintError.self) { try AddressHint.decode(Array(good.dropLast())) }
        #expect(throws: AddressHintError.self) { try AddressHint.decode(good + [0]) }
        // Port 0, no address, and an unknown address family.
        for bad: [UInt8] in [
            [1, 4, 203, 0, 113, 70, 0, 0], [1, 4, 0, 0, 0, 0, 0x9C, 0x41], [1, 5, 203, 0, 113, 70, 0x9C, 0x41],
        ] {
            #expect(throws: AddressHintError.self) { try AddressHint.decode(bad) }
        }
        #expect(try AddressHint.decode([9] + Array(good.dropFirst())) == nil)
        #expect(try AddressHint.decode([0xFF]) == nil)
        let newer: [[UInt8]] = [[9, 1, 2, 3], good, [1, 4], AddressHint(kind: .dhtMapped, address: v6).bytes]
        #expect(AddressHint.known(in: newer).map(\.address) == [v4, v6])
    }

    @Test("a record signed with a hint carries it through the DHT's encoding and the profile reader")
    func inARecord() throws {
        let identity = ProfileFixture.identity(5)
        var (profile, _) = ProfileFixture.profile(identity, card: try ProfileFixture.ownerCard())
        let hint = AddressHint(kind: .dhtMapped, address: v4)
        profile.addressHints = [hint.bytes]
        let record = try profile.record(
            signedBy: identity,
            sequence: 1,
            issuedAt: ProfileFixture.start,
            ttl: .seconds(60)
        )
        _ = try AgentRecordValidator().validate(
            record.envelope,
            now: ProfileFixture.start,
            limits: RecordLimits(maximumLifetime: .seconds(7_200), maximumClockSkew: .seconds(120))
        )
        let decoded = try AgentRecord(wireBytes: record.wireBytes)
        #expect(AddressHint.known(in: decoded.addressHints) == [hint])
        #expect(try AgentProfile.read(from: decoded).addressHints == [hint.bytes])
    }
}

@Suite("Address hints: which a node publishes")
struct PublishedAddressHintTests {
    let gateway = IPAddress("203.0.113.70")!
    let seen = IPAddress("198.51.100.9")!

    @Test("a listed agent publishes its mapped port at the gateway's address, else at the one STUN saw")
    func listed() {
        let atGateway = AddressHint.published(
            exposure: .listed,
            mappedPort: 40_001,
            gatewayAddress: gateway,
            seen: seen
        )
        #expect(atGateway == [AddressHint(kind: .dhtMapped, address: TransportAddress(ip: gateway, port: 40_001))])
        // A gateway behind another NAT knows no external address, or answers with the unspecified one.
        for unknown in [nil, IPAddress("0.0.0.0")!] {
            let atSeen = AddressHint.published(
                exposure: .listed,
                mappedPort: 40_001,
                gatewayAddress: unknown,
                seen: seen
            )
            #expect(atSeen == [AddressHint(kind: .dhtMapped, address: TransportAddress(ip: seen, port: 40_001))])
        }
        #expect(AddressHint.published(exposure: .listed, mappedPort: 40_001, gatewayAddress: nil, seen: nil).isEmpty)
        #expect(AddressHint.published(exposure: .listed, mappedPort: nil, gatewayAddress: gateway, seen: seen).isEmpty)
        #expect(AddressHint.published(exposure: .listed, mappedPort: 0, gatewayAddress: gateway, seen: seen).isEmpty)
    }

    @Test("an unlisted or private agent publishes no address, mapped or not")
    func notListed() {
        for exposure in Exposure.allCases where exposure != .listed {
            #expect(
                AddressHint.published(exposure: exposure, mappedPort: 40_001, gatewayAddress: gateway, seen: seen)
                    .isEmpty
            )
        }
    }
}
