import Kademlia
import MeshCore
import Testing

@Suite struct CodecTests {
    @Test func addressesEncodeExactly() throws {
        let v4 = TransportAddress(ip: [192, 0, 2, 7], port: 0x1F90)!
        #expect(v4.wireBytes == [4, 192, 0, 2, 7, 0x1F, 0x90])
        #expect(v4.description == "192.0.2.7:8080")
        let v6 = TransportAddress(ip: [0x20, 0x01, 0x0D, 0xB8] + [UInt8](repeating: 0, count: 11) + [1], port: 53)!
        #expect(v6.wireBytes.count == 19)
        #expect(v6.description == "[2001:db8::1]:53")
        #expect(try TransportAddress(wireBytes: v6.wireBytes) == v6)
        #expect(throws: WireError.self) { try TransportAddress(wireBytes: [5, 1, 2, 3, 4, 0, 1]) }
        #expect(TransportAddress(ip: [1, 2, 3], port: 1) == nil)
    }

    @Test func localAndLabRangesAreRecognised() {
        #expect(Fixture.address(1).isLocalOrLab)
        #expect(TransportAddress(ip: [10, 1, 2, 3], port: 1)!.isLocalOrLab)
        #expect(TransportAddress(ip: [203, 0, 113, 9], port: 1)!.isLocalOrLab)
        #expect(!TransportAddress(ip: [8, 8, 8, 8], port: 1)!.isLocalOrLab)
        #expect(TransportAddress(ip: [8, 8, 8, 8], port: 1)!.diversityPrefix == [8, 8, 8])
    }

    static let contact = Contact(id: Fixture.id([0xAB]), address: TransportAddress(ip: [10, 0, 0, 1], port: 9)!)
    static let record = RecordEnvelope(type: .agent, bytes: [1, 2, 3])

    @Test(arguments: [
        KademliaMessage.ping,
        .pong(observed: Fixture.address(9)),
        .findNode(target: Fixture.id([1])),
        .nodes(contacts: [contact, contact], token: [UInt8](repeating: 7, count: 16)),
        .findValue(key: Fixture.id([2])),
        .value(record: record, contacts: [contact], token: []),
        .value(record: nil, contacts: [], token: [1]),
        .store(token: [9], record: record),
        .getProviders(key: Fixture.id([3])),
        .providers(records: [record, record], contacts: [contact], token: [2]),
        .addProvider(token: [], record: RecordEnvelope(type: .provider, bytes: [])),
        .stored(accepted: false, code: "stale"),
    ])
    func everyMessageRoundTrips(_ message: KademliaMessage) throws {
        #expect(try KademliaMessage(wireBytes: message.wireBytes) == message)
        // Every strict prefix is rejected, never trapped on.
        let bytes = message.wireBytes
        for length in 0..<bytes.count {
            #expect(throws: WireError.self) { try KademliaMessage(wireBytes: Array(bytes.prefix(length))) }
        }
    }

    @Test func messagesEncodeExactly() {
        #expect(KademliaMessage.ping.wireBytes == [1])
        #expect(KademliaMessage.stored(accepted: true, code: "ok").wireBytes == [11, 1, 2, 0x6F, 0x6B])
        let nodes = KademliaMessage.nodes(contacts: [Self.contact], token: [0xEE])
        #expect(nodes.wireBytes == [4, 1] + Self.contact.id.bytes + [4, 10, 0, 0, 1, 0, 9] + [1, 0xEE])
    }

    @Test func oversizeCountsAreRejectedBeforeAllocation() {
        // 21 contacts exceed the limit of 20.
        #expect(throws: WireError.self) { try KademliaMessage(wireBytes: [4, 21]) }
        #expect(throws: WireError.self) { try KademliaMessage(wireBytes: [99]) }
        // A token longer than 16 bytes.
        #expect(throws: WireError.self) {
            try KademliaMessage(wireBytes: [4, 0, 17] + [UInt8](repeating: 0, count: 17))
        }
    }

    @Test func signedMessagesAuthenticateTheSender() throws {
        let identity = Fixture.identity(1)
        let signed = SignedMessage.signed(
            .findNode(target: Fixture.id([5])),
            transactionID: 0x0102_0304_0506_0708,
            by: identity.signingKey,
            now: Fixture.start
        )
        let datagram = signed.datagram()
        #expect(Array(datagram.prefix(5)) == [0x4D, 0x50, 1, 0x03, 0x00])
        // Frame header (magic 2, version 1, type 2, length 4), key, time, transaction, findNode, signature.
        let expectedCount = 9 + 32 + 8 + 8 + 1 + 33 + 64
        #expect(datagram.count == expectedCount)
        let decoded = try SignedMessage.decode(datagram: datagram, maximumSize: 4096)
        #expect(decoded == signed)
        #expect(decoded.isSignatureValid)
        #expect(decoded.senderID == identity.nodeID)
        // Flip one bit of the body: still decodes, no longer verifies.
        var tampered = datagram
        let bodyByte = 9 + 32 + 8 + 8 + 1 + 5
        tampered[bodyByte] ^= 1
        #expect(try !SignedMessage.decode(datagram: tampered, maximumSize: 4096).isSignatureValid)
        // Too big for the receiver's limit, wrong frame type, too short.
        #expect(throws: WireError.self) { try SignedMessage.decode(datagram: datagram, maximumSize: 100) }
        var otherType = datagram
        otherType[4] = 0x01
        #expect(throws: WireError.self) { try SignedMessage.decode(datagram: otherType, maximumSize: 4096) }
        #expect(throws: WireError.self) {
            try SignedMessage.decode(datagram: Frame(type: 0x0300, payload: [1, 2]).encoded(), maximumSize: 4096)
        }
    }
}
