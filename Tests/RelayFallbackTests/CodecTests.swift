import MeshCore
import Testing

@testable import RelayFallback

@Suite struct CodecTests {
    @Test func challengeHasTheExactDocumentedLayout() {
        let nonce = [UInt8](0..<32)
        let bytes = RelayMessage.challenge(RelayChallenge(relayKey: Fixture.relay.publicKey, nonce: nonce)).encoded()
        let expected =
            [0x4D, 0x50, 0x01, 0x02, 0x01, 0x00, 0x00, 0x00, 0x40] + Fixture.relay.publicKey.rawRepresentation + nonce
        #expect(bytes == expected)
    }

    @Test func ackAndAcceptedHaveTheExactDocumentedLayout() {
        let ack = RelayMessage.ack([Fixture.id(7), Fixture.id(8)]).encoded()
        #expect(
            Hex.encode(ack) == "4d50010208000000220002" + String(repeating: "07", count: 16)
                + String(repeating: "08", count: 16)
        )
        let accepted = RelayMessage.accepted(Fixture.id(1), .stored).encoded()
        #expect(Hex.encode(accepted) == "4d5001020500000011" + String(repeating: "01", count: 16) + "02")
    }

    @Test func pingAndPongHaveTheExactDocumentedLayout() {
        #expect(Hex.encode(RelayMessage.ping(1).encoded()) == "4d500102090000000800000000000000" + "01")
        #expect(Hex.encode(RelayMessage.pong(2).encoded()) == "4d5001020a0000000800000000000000" + "02")
    }

    @Test func acceptedBatchHasTheDocumentedLayoutAndABoundedCount() throws {
        let batch = RelayMessage.acceptedBatch([AcceptedEntry(Fixture.id(3), .duplicate)]).encoded()
        #expect(Hex.encode(batch) == "4d5001020b000000130001" + String(repeating: "03", count: 16) + "03")
        var writer = WireWriter()
        writer.write(UInt16(RelayMessage.maximumAcceptedBatch + 1))
        for index in 0...RelayMessage.maximumAcceptedBatch {
            writer.write(raw: Fixture.id(UInt8(index % 256)).bytes)
            writer.write(UInt8(1))
        }
        let tooMany = Frame(type: RelayFrameType.acceptedBatch.rawValue, payload: writer.bytes).encoded()
        #expect(throws: WireError.self) { try RelayMessage.decode(tooMany) }
    }

    @Test func aClientSettlesEveryEnvelopeOfABatchedAnswer() {
        var net = Loopback()
        net.add(Fixture.alice, as: ConnectionID(1))
        _ = net.clients[ConnectionID(1)]!.send(Fixture.envelope(1, to: Fixture.bob))
        _ = net.clients[ConnectionID(1)]!.send(Fixture.envelope(2, to: Fixture.bob))
        _ = net.clients[ConnectionID(1)]!.pollAction()
        _ = net.clients[ConnectionID(1)]!.pollAction()
        let answer = RelayMessage.acceptedBatch([
            AcceptedEntry(Fixture.id(1), .stored), AcceptedEntry(Fixture.id(2), .stored),
        ])
        net.clients[ConnectionID(1)]!.received(answer.encoded())
        #expect(net.clients[ConnectionID(1)]!.unacknowledgedSendCount == 0)
        var events: [RelayClientEvent] = []
        while let event = net.clients[ConnectionID(1)]!.pollEvent() { events.append(event) }
        #expect(events.suffix(2) == [.accepted(Fixture.id(1), .stored), .accepted(Fixture.id(2), .stored)])
    }

    @Test func everyMessageRoundTrips() throws {
        let login = try RelayAuth.answer(
            RelayChallenge(relayKey: Fixture.relay.publicKey, nonce: [UInt8](repeating: 9, count: 32)),
            identity: Fixture.alice,
            expectedRelay: nil
        )
        let messages: [RelayMessage] = [
            .challenge(RelayChallenge(relayKey: Fixture.relay.publicKey, nonce: [UInt8](repeating: 1, count: 32))),
            .authenticate(login),
            .welcome(RelayWelcome(clientID: Fixture.alice.nodeID, maximumEnvelopeBytes: 1_048_576, pendingCount: 3)),
            .send(Fixture.envelope(5, to: Fixture.bob, size: 100, ttl: 60)),
            .accepted(Fixture.id(5), .forwarded),
            .refused(RelayRefusal(.rateLimited, envelopeID: Fixture.id(5), "slow down")),
            .refused(RelayRefusal(.badSignature, "no")),
            .deliver(
                DeliveredEnvelope(id: Fixture.id(6), sender: Fixture.alice.nodeID, sequence: 42, payload: [1, 2, 3])
            ),
            .ack((0..<256).map { Fixture.id(UInt8($0)) }),
            .ping(0x0102_0304_0506_0708),
            .pong(UInt64.max),
            .acceptedBatch([AcceptedEntry(Fixture.id(1), .forwarded), AcceptedEntry(Fixture.id(2), .stored)]),
            .acceptedBatch([]),
            .refused(RelayRefusal(.firstContactQuotaExceeded, envelopeID: Fixture.id(7), "later")),
            .contacts([Fixture.alice.nodeID, Fixture.bob.nodeID]),
            .contacts([]),
            .contacts(
                (0..<RelayMessage.maximumContactCount).map { index in
                    try! NodeID(bytes: [UInt8](repeating: 0, count: 30) + [UInt8(index >> 8), UInt8(index & 0xFF)])
                }
            ),
        ]
        for message in messages {
            #expect(try RelayMessage.decode(message.encoded()) == message)
        }
    }

    @Test func maximumEnvelopeIsAcceptedAndOneByteMoreIsOversize() throws {
        let payload = [UInt8](repeating: 0xAB, count: RelayFallbackModule.maximumEnvelopeByteCount)
        let envelope = OutboundEnvelope(id: Fixture.id(1), recipient: Fixture.bob.nodeID, payload: payload)
        #expect(try RelayMessage.decode(RelayMessage.send(envelope).encoded()) == .send(envelope))
        var writer = WireWriter()
        writer.write(raw: Fixture.id(1).bytes)
        writer.write(raw: Fixture.bob.nodeID.bytes)
        writer.write(UInt32(0))
        writer.writeLengthPrefixed(payload + [0], .uint32)
        let bytes = Frame(type: RelayFrameType.send.rawValue, payload: writer.bytes).encoded()
        #expect(throws: WireError.self) { try RelayMessage.decode(bytes) }
        do {
            _ = try RelayMessage.decode(bytes)
        } catch let error as WireError {
            #expect(error.code == .oversize)
        }
    }

    @Test func malformedInputIsATypedErrorNeverATrap() {
        let valid = RelayMessage.accepted(Fixture.id(1), .stored).encoded()
        let cases: [([UInt8], WireError.Code)] = [
            ([], .truncated),
            (Array(valid.dropLast()), .truncated),
            (valid + [0], .trailingBytes),
            (Frame(type: 0x0101, payload: []).encoded(), .unknownType),
            (Frame(type: 0x0205, payload: Fixture.id(1).bytes + [9]).encoded(), .invalidValue),
            (Frame(type: 0x0206, payload: [0, 99, 0, 0, 0]).encoded(), .invalidValue),
            (Frame(type: 0x0208, payload: [0x01, 0x01]).encoded(), .oversize),
            (Frame(type: 0x0201, payload: [UInt8](repeating: 0, count: 64)).encoded(), .invalidValue),
            ([0x4D, 0x50, 0x01, 0x02, 0x04, 0x7F, 0xFF, 0xFF, 0xFF], .oversize),
            ([0x00, 0x00, 0x01], .badMagic),
        ]
        for (bytes, code) in cases {
            do {
                _ = try RelayMessage.decode(bytes)
                Issue.record("decoded \(Hex.encode(bytes))")
            } catch let error as WireError {
                #expect(error.code == code, "\(Hex.encode(bytes)): \(error)")
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
    }

    @Test func frameTypesStayInTheRelayRange() {
        for type in RelayFrameType.allCases { #expect((0x0200...0x02FF).contains(type.rawValue)) }
    }
}
