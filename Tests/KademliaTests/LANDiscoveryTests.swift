import Kademlia
import MeshCore
import Testing

/// LAN discovery's pure parts (decisions 0029 and 0108): the announcement codec, the gate that decides whom to
/// ping, and the plan that picks families and addresses.
@Suite struct LANDiscoveryTests {
    static let me = Fixture.id([1])
    static let other = Fixture.id([2])
    static let v6Source = TransportAddress(
        ip: [0x20, 0x01, 0x0D, 0xB8] + [UInt8](repeating: 0, count: 11) + [2],
        port: 51_000
    )!
    static let linkLocal = TransportAddress(ip: [0xFE, 0x80] + [UInt8](repeating: 0, count: 13) + [2], port: 51_000)!

    func announcement(port: UInt16 = 4_646, id: NodeID = other) -> [UInt8] {
        LANAnnouncement(dhtPort: port, nodeID: id).datagram()
    }

    // MARK: codec

    @Test func theAnnouncementKeepsItsFormat() throws {
        let bytes = announcement(port: 0x1227)
        // Frame header ("MP", version 1, type 0x0301, length 34), then port and ID: unchanged since decision 0029.
        #expect(Array(bytes.prefix(11)) == [0x4D, 0x50, 1, 0x03, 0x01, 0, 0, 0, 34, 0x12, 0x27])
        #expect(bytes.count == LANAnnouncement.datagramByteCount)
        let decoded = try LANAnnouncement(datagram: bytes)
        #expect(decoded == LANAnnouncement(dhtPort: 0x1227, nodeID: Self.other))
    }

    @Test func theDecoderRefusesEveryOtherShape() {
        let good = announcement()
        var otherType = good
        otherType[4] = 0x02
        let refused: [[UInt8]] = [
            [], Array(good.dropLast()), good + [0], otherType,
            Frame(type: 0x0301, payload: [0, 1]).encoded(),
            Frame(type: 0x0301, payload: [UInt8](repeating: 7, count: 35)).encoded(),
        ]
        for bytes in refused { #expect(throws: WireError.self) { try LANAnnouncement(datagram: bytes) } }
    }

    // MARK: gate

    @Test func anAnnouncerIsPingedOncePerInterval() {
        var gate = LANAnnouncementGate(localID: Self.me, interval: .seconds(5))
        let now = Fixture.start
        let target = TransportAddress(ip: Self.v6Source.ip, port: 4_646)
        #expect(gate.receive(announcement(), from: Self.v6Source, now: now) == .ping(target))
        #expect(gate.receive(announcement(), from: Self.v6Source, now: now + .seconds(4)) == .ignored(.rateLimited))
        #expect(gate.receive(announcement(), from: Self.v6Source, now: now + .seconds(5)) == .ping(target))
        // Another port on the same host is another node.
        #expect(gate.receive(announcement(port: 4_700), from: Self.v6Source, now: now) != .ignored(.rateLimited))
        #expect(gate.ignored[.rateLimited] == 1)
    }

    @Test func ownMalformedLinkLocalAndUnusableAnnouncementsAreIgnored() {
        var gate = LANAnnouncementGate(localID: Self.me, interval: .seconds(5))
        let now = Fixture.start
        #expect(gate.receive(announcement(id: Self.me), from: Self.v6Source, now: now) == .ignored(.ownAnnouncement))
        #expect(gate.receive([0x4D, 0x50], from: Self.v6Source, now: now) == .ignored(.malformed))
        #expect(gate.receive(announcement(), from: Self.linkLocal, now: now) == .ignored(.linkLocalSource))
        #expect(gate.receive(announcement(port: 0), from: Self.v6Source, now: now) == .ignored(.unusableSource))
        let multicast = TransportAddress(ip: [239, 255, 77, 77], port: 4_647)!
        #expect(gate.receive(announcement(), from: multicast, now: now) == .ignored(.unusableSource))
        let unspecified = TransportAddress(ip: [UInt8](repeating: 0, count: 16), port: 1)!
        #expect(gate.receive(announcement(), from: unspecified, now: now) == .ignored(.unusableSource))
        // IPv4 link-local needs no scope and is pinged as before.
        let v4LinkLocal = TransportAddress(ip: [169, 254, 1, 2], port: 1)!
        #expect(
            gate.receive(announcement(), from: v4LinkLocal, now: now)
                == .ping(TransportAddress(ip: [169, 254, 1, 2], port: 4_646)!)
        )
        #expect(gate.rememberedSources == 1)
    }

    @Test func aFloodOfForgedAnnouncersIsBoundedInMemoryAndInPings() {
        var gate = LANAnnouncementGate(localID: Self.me, interval: .seconds(5), rememberedSources: 16)
        let now = Fixture.start
        var pings = 0
        for port in 1...1_000 {
            if case .ping = gate.receive(announcement(port: UInt16(port)), from: Self.v6Source, now: now) { pings += 1 }
        }
        #expect(gate.rememberedSources <= 16)
        // At most `rememberedSources` pings per interval in all, however many endpoints are forged.
        #expect(pings == 16)
        #expect(gate.ignored[.rateLimited] == 1_000 - 16)
    }

    // MARK: plan

    static let v4: [UInt8] = [198, 51, 100, 1]
    static let global = [0x20, 0x01, 0x0D, 0xB8] + [UInt8](repeating: 0, count: 11) + [1]
    static let ula = [0xFD, 0x00] + [UInt8](repeating: 0, count: 13) + [1]
    static let fe80 = [0xFE, 0x80] + [UInt8](repeating: 0, count: 13) + [1]
    static let wildcards = [
        TransportAddress(ip: [0, 0, 0, 0], port: 4_646)!,
        TransportAddress(ip: [UInt8](repeating: 0, count: 16), port: 4_747)!,
    ]

    func lan(_ addresses: [[UInt8]], multicast: Bool = true) -> LANInterface {
        LANInterface(name: "eth9", index: 7, addresses: addresses, multicast: multicast)
    }

    @Test func bothFamiliesRunWhereTheInterfaceAndTheNodeHaveThem() throws {
        let plan = try LANDiscoveryPlan.make(
            families: .both,
            interface: lan([Self.v4, Self.fe80, Self.ula, Self.global]),
            listening: Self.wildcards
        )
        #expect(plan.ipv4?.interfaceAddress == Self.v4 && plan.ipv4?.dhtPort == 4_646)
        // Global before unique-local, never link-local; each family announces its own socket's port.
        #expect(plan.ipv6?.source == Self.global && plan.ipv6?.interfaceIndex == 7 && plan.ipv6?.dhtPort == 4_747)
        #expect(plan.skipped.isEmpty)
        let named = try LANDiscoveryPlan.make(
            families: .both,
            interface: lan([Self.v4, Self.fe80, Self.ula, Self.global]),
            given: Self.ula,
            listening: Self.wildcards
        )
        #expect(named.ipv6?.source == Self.ula)
    }

    @Test func aMissingFamilyIsSkippedByDefaultAndAnErrorWhenAskedFor() throws {
        let linkLocalOnly = lan([Self.v4, Self.fe80])
        let plan = try LANDiscoveryPlan.make(families: .both, interface: linkLocalOnly, listening: Self.wildcards)
        #expect(plan.ipv4 != nil && plan.ipv6 == nil)
        #expect(plan.skipped.count == 1 && plan.skipped[0].contains("has only link-local IPv6 addresses"))
        let error = #expect(throws: LANDiscoveryError.self) {
            try LANDiscoveryPlan.make(families: .ipv6, interface: linkLocalOnly, listening: Self.wildcards)
        }
        #expect(error?.description.contains("eth9 has only link-local IPv6 addresses") == true)
        let noV4 = #expect(throws: LANDiscoveryError.self) {
            try LANDiscoveryPlan.make(families: .ipv4, interface: lan([Self.global]), listening: Self.wildcards)
        }
        #expect(noV4?.description.contains("eth9 has no IPv4 address") == true)
        // The DHT node must have the family too: neighbours ping the announced port on it.
        let v4Only = try LANDiscoveryPlan.make(
            families: .both,
            interface: lan([Self.v4, Self.global]),
            listening: [Self.wildcards[0]]
        )
        #expect(
            v4Only.ipv6 == nil && v4Only.skipped == ["IPv6: the DHT node has no IPv6 socket (listen on [::]:PORT too)"]
        )
        let loopback = #expect(throws: LANDiscoveryError.self) {
            try LANDiscoveryPlan.make(
                families: .both,
                interface: lan([Self.v4], multicast: false),
                listening: Self.wildcards
            )
        }
        #expect(loopback?.description.contains("does not support multicast") == true)
    }

    @Test func aSocketBoundToOneAddressAnnouncesFromThatAddressOnly() throws {
        let bound = [TransportAddress(ip: Self.ula, port: 5_000)!]
        let plan = try LANDiscoveryPlan.make(
            families: .ipv6,
            interface: lan([Self.global, Self.ula]),
            listening: bound
        )
        #expect(plan.ipv6?.source == Self.ula)
        let elsewhere = #expect(throws: LANDiscoveryError.self) {
            try LANDiscoveryPlan.make(families: .ipv6, interface: lan([Self.global]), listening: bound)
        }
        #expect(elsewhere?.description.contains("which is not an address of interface eth9") == true)
        // With a loopback socket beside the LAN one, the LAN one is announced.
        let two = [TransportAddress(ip: [127, 0, 0, 1], port: 1)!, TransportAddress(ip: Self.v4, port: 2)!]
        let both = try LANDiscoveryPlan.make(families: .ipv4, interface: lan([Self.v4]), listening: two)
        #expect(both.ipv4?.interfaceAddress == Self.v4 && both.ipv4?.dhtPort == 2)
    }

    @Test func theInterfaceIsFoundByAddressOrName() throws {
        let interfaces = [
            LANInterface(name: "lo", index: 1, addresses: [[127, 0, 0, 1]]), lan([Self.v4, Self.global]),
        ]
        #expect(try LANInterface.find(address: Self.global, name: nil, spec: "x", in: interfaces).name == "eth9")
        #expect(try LANInterface.find(address: nil, name: "eth9", spec: "eth9", in: interfaces).index == 7)
        let unknown = #expect(throws: LANDiscoveryError.self) {
            try LANInterface.find(address: Self.ula, name: nil, spec: "fd00::1", in: interfaces)
        }
        #expect(unknown?.description == "no interface has the address fd00::1")
        #expect(throws: LANDiscoveryError.self) {
            try LANInterface.find(address: Self.global, name: "lo", spec: "2001:db8::1%lo", in: interfaces)
        }
    }
}
