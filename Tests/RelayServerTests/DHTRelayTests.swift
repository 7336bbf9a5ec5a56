import Foundation
import Kademlia
import MeshCore
import RelayFallback
import Testing

/// `meshpeer relay` with its DHT bootstrap node: adverts found by GET_PROVIDERS, STUN on the DHT port, and two
/// relays where the sender finds the recipient's relay through the recipient's DHT record.
@Suite(.serialized) struct DHTRelayTests {
    @Test func theRelayCapabilityKeyIsKademliasProviderKey() {
        #expect(RelayAdvert.providerKey == ProviderRecord.key(forCapability: RelayAdvert.capability))
    }

    @Test func aRelayPublishesItsAdvertInItsDHTNodeAndAnswersSTUN() async throws {
        let data = RelayProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let relay = try await RelayProcess.start(dataDirectory: data, dht: ["listen": ["127.0.0.1:0"]])
        defer { relay.cleanUp() }
        let dhtPort = try #require(relay.dhtPort)
        let client = try await TestDHTNode(identity: identity(81), bootstrap: dhtPort, readOnly: true)
        var adverts: [RelayAdvert] = []
        try await eventually("the advert is found") {
            adverts = await client.relayAdverts()
            return !adverts.isEmpty
        }
        #expect(adverts.count == 1)
        #expect(adverts.first?.relayKey == relay.publicKey)
        #expect(adverts.first?.addresses == [relay.address])
        #expect(try stunBinding(port: dhtPort), "the DHT port answers STUN Binding like `meshpeer dht serve`")
        await client.close()
        let (status, output) = try await relay.terminate()
        #expect(status == 0)
        #expect(output.contains("\"event\":\"advert-published\""))
    }

    @Test func aRelayWhoseAdvertCannotFitInTheDHTRefusesToStart() async throws {
        let data = RelayProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let tooMany = (1...4).map { "wss://relay-\($0).a-rather-long-host-name.example.org:443/relay" }
        do {
            let relay = try await RelayProcess.start(
                dataDirectory: data,
                dht: ["listen": ["127.0.0.1:0"], "advertise": tooMany]
            )
            relay.cleanUp()
            Issue.record("a relay with an advert too large for the DHT started")
        } catch is TestFailure {
            // It exited before saying it listens: the advert is checked before anything is announced.
        }
    }

    @Test func aSenderOnRelayAReachesARecipientHomedOnlyOnRelayBThroughItsDHTRecord() async throws {
        let dataA = RelayProcess.temporaryDirectory()
        let dataB = RelayProcess.temporaryDirectory()
        defer {
            try? FileManager.default.removeItem(atPath: dataA)
            try? FileManager.default.removeItem(atPath: dataB)
        }
        let relayA = try await RelayProcess.start(dataDirectory: dataA, dht: ["listen": ["127.0.0.1:0"]])
        defer { relayA.cleanUp() }
        let dhtA = try #require(relayA.dhtPort)
        let relayB = try await RelayProcess.start(
            dataDirectory: dataB,
            dht: ["listen": ["127.0.0.1:0"], "bootstrap": ["127.0.0.1:\(dhtA)"]]
        )
        defer { relayB.cleanUp() }

        // Bob is homed on B only, and says so in his signed DHT record.
        let bobIdentity = identity(92)
        let bob = Collector(bobIdentity, port: relayB.port, relay: relayB.publicKey)
        await bob.start()
        let bobNode = try await TestDHTNode(identity: bobIdentity, bootstrap: dhtA, readOnly: false)
        try await eventually("bob's record is stored") { await bobNode.publish(homeRelays: [relayB.address]) > 0 }

        // Alice is homed on A; she knows only bob's DID.
        let aliceIdentity = identity(91)
        let alice = Collector(aliceIdentity, port: relayA.port, relay: relayA.publicKey)
        await alice.start()
        try await eventually("alice is homed on A") { await alice.isReady }
        let aliceNode = try await TestDHTNode(identity: aliceIdentity, bootstrap: dhtA, readOnly: true)
        var record: AgentRecord?
        try await eventually("bob's record is found") {
            record = await aliceNode.agentRecord(did: bobIdentity.publicKey.did)
            return record != nil
        }
        var adverts: [RelayAdvert] = []
        try await eventually("both adverts are found") {
            adverts = await aliceNode.relayAdverts()
            return adverts.count == 2
        }
        let hops = RelayRoute.hops(
            recipientHomes: record?.homeRelays ?? [],
            ownHomes: [try #require(RelayAddress(relayA.address))],
            adverts: adverts
        )
        let hop = try #require(hops.first)
        #expect(hops.count == 1 && !hop.isOwnHome)
        #expect(hop.address.port == relayB.port)
        #expect(hop.expectedKey == relayB.publicKey, "B's advert vouches for the key B must prove at login")

        let viaB = Collector(aliceIdentity, port: hop.address.port, relay: hop.expectedKey)
        await viaB.start()
        try await viaB.send((0..<20).map { OutboundEnvelope.numbered($0, to: bobIdentity, run: 40) })
        try await eventually("bob has 20") { await bob.delivered.count == 20 }
        #expect(await bob.delivered.map(\.index) == Array(0..<20))
        #expect(await bob.delivered.allSatisfy { $0.sender == aliceIdentity.nodeID })
        #expect(await viaB.refused.isEmpty)
        #expect(await alice.isReady, "alice stays homed on A meanwhile")
        for collector in [alice, bob, viaB] { await collector.stop() }
        await aliceNode.close()
        await bobNode.close()
    }
}

/// Sends a STUN Binding request to 127.0.0.1:`port` and checks the success response echoes its transaction.
func stunBinding(port: Int) throws -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
    defer { close(fd) }
    var timeout = timeval(tv_sec: 5, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    let transaction: [UInt8] = Array(1...12)
    let request: [UInt8] = [0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xA4, 0x42] + transaction
    let sent = withUnsafePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            sendto(fd, request, request.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    guard sent == request.count else { throw TestFailure("cannot send the STUN request") }
    var reply = [UInt8](repeating: 0, count: 1_500)
    let count = recv(fd, &reply, reply.count, 0)
    guard count >= 20 else { throw TestFailure("no STUN answer") }
    return reply[0] == 0x01 && reply[1] == 0x01 && Array(reply[8..<20]) == transaction
}
