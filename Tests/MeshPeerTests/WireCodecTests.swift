import MeshCore
import Ratchet
import RelayFallback
import Testing

@testable import MeshPeer

@Suite struct WireCodecTests {
    @Test func messageIDsAndTokensSpellTheirBytesInHex() throws {
        var random = SeededRandom(seed: 1)
        let id = MessageID.random(using: &random)
        #expect(id.hex.count == 32)
        #expect(id.hex == id.hex.lowercased())
        #expect(MessageID(hex: id.hex) == id)
        #expect(MessageID(hex: id.hex.uppercased()) == id)
        #expect(MessageID(hex: "abc") == nil)
        #expect(MessageID(hex: String(repeating: "g", count: 32)) == nil)
        #expect(id.envelopeID.bytes == id.bytes)
        #expect("\(id)" == id.hex)
        #expect(throws: WireError.self) { try MessageID(bytes: [1, 2, 3]) }

        let knockToken = KnockToken.random(using: &random)
        #expect(knockToken.hex.count == 16)
        #expect(KnockToken(hex: knockToken.hex) == knockToken)
        #expect(KnockToken(hex: id.hex) == nil)
        #expect(throws: WireError.self) { try KnockToken(bytes: []) }
    }

    @Test func aKnockEnvelopeRoundTripsAndRefusesEveryTruncation() throws {
        var random = SeededRandom(seed: 2)
        let frame = try knock(from: Agent(seed: 1), to: Agent(seed: 2), random: &random)
        let encoded = MeshEnvelope.knock(frame).encoded()
        #expect(encoded.count <= KnockFrame.maximumEnvelopeByteCount)
        #expect(try MeshEnvelope.decode(encoded) == .knock(frame))
        #expect(MeshEnvelope.kind(of: encoded) == .knock)
        #expect(MeshEnvelope.kind(of: [1]) == nil)
        #expect(MeshEnvelope.kind(of: [2, 1]) == nil)
        #expect(MeshEnvelope.kind(of: [1, 3]) == nil)
        expectEveryTruncationThrows(encoded) { _ = try MeshEnvelope.decode($0) }
        #expect(throws: WireError.self) { try MeshEnvelope.decode(encoded + [0]) }
    }

    @Test func aSessionEnvelopeRoundTripsAndRefusesEveryTruncation() throws {
        var random = SeededRandom(seed: 3)
        let alice = Agent(seed: 1)
        let bob = Agent(seed: 2)
        var sessions = PeerSessions(remoteIdentity: bob.key)
        try sessions.startSession(identity: alice.identity, bundle: bob.bundle, random: &random)
        let ratchet = try sessions.encrypt(bytes("hello"), random: &random)
        let envelope = MeshEnvelope.session(
            SessionFrame(
                sender: alice.key,
                messageID: try MessageID(bytes: Array(repeating: 7, count: 16)),
                ratchet: ratchet
            )
        )
        let encoded = envelope.encoded()
        #expect(encoded.count == 2 + 32 + 16 + ratchet.wireBytes.count)
        #expect(try MeshEnvelope.decode(encoded) == envelope)
        #expect(MeshEnvelope.kind(of: encoded) == .session)
        expectEveryTruncationThrows(encoded) { _ = try MeshEnvelope.decode($0) }

        // The X3DH header must name the frame's sender.
        let forged = MeshEnvelope.session(
            SessionFrame(
                sender: bob.key,
                messageID: try MessageID(bytes: Array(repeating: 7, count: 16)),
                ratchet: ratchet
            )
        ).encoded()
        #expect(throws: WireError(.invalidValue, at: 50, "the X3DH header names another sender")) {
            try MeshEnvelope.decode(forged)
        }
    }

    @Test func unknownVersionsKindsAndOversizeInputAreErrors() throws {
        #expect(throws: WireError.self) { try MeshEnvelope.decode([]) }
        let version = #expect(throws: WireError.self) { try MeshEnvelope.decode([2, 1]) }
        #expect(version?.code == .unsupportedVersion)
        let kind = #expect(throws: WireError.self) { try MeshEnvelope.decode([1, 9]) }
        #expect(kind?.code == .unknownType)
        let oversize = #expect(throws: WireError.self) {
            try MeshEnvelope.decode([UInt8](repeating: 1, count: MeshEnvelope.maximumByteCount + 1))
        }
        #expect(oversize?.code == .oversize)
        #expect(MeshEnvelope.maximumByteCount == RelayFallbackModule.maximumEnvelopeByteCount)

        let payloadVersion = #expect(throws: WireError.self) { try SessionPayload.decode([7, 2]) }
        #expect(payloadVersion?.code == .unsupportedVersion)
        let payloadKind = #expect(throws: WireError.self) { try SessionPayload.decode([1, 0]) }
        #expect(payloadKind?.code == .unknownType)
        let emptyReceipt = #expect(throws: WireError.self) { try SessionPayload.decode([1, 3, 0, 0]) }
        #expect(emptyReceipt?.code == .invalidValue)
        let tooMany = #expect(throws: WireError.self) { try SessionPayload.decode([1, 3, 1, 1]) }
        #expect(tooMany?.code == .oversize)
    }

    @Test(arguments: 0..<4) func everySessionPayloadRoundTripsAndRefusesEveryTruncation(_ index: Int) throws {
        let payload = try samplePayloads()[index]
        let encoded = payload.encoded()
        #expect(try SessionPayload.decode(encoded) == payload)
        expectEveryTruncationThrows(encoded) { _ = try SessionPayload.decode($0) }
        let trailing = #expect(throws: WireError.self) { try SessionPayload.decode(encoded + [0]) }
        #expect(trailing?.code == .trailingBytes)
    }

    @Test func anAgentMessageHasExactlyTheDocumentedLayout() throws {
        let id = try MessageID(bytes: Array(0..<16))
        let message = try AgentMessage(
            id: id,
            sequence: 1,
            createdAt: Timestamp(nanosecondsSinceEpoch: 1_234_567_891),
            intent: "chat.message",
            body: bytes("{}")
        )
        #expect(message.createdAt.nanosecondsSinceEpoch == 1_234_000_000)
        let expected: [UInt8] =
            [1, 2] + Array(0..<16) + [0, 0, 0, 0, 0, 0, 0, 1] + [0, 0, 0, 0, 0, 0, 0x04, 0xD2] + [0, 0]
            + [12] + bytes("chat.message") + [0, 0, 0, 2] + bytes("{}")
        #expect(SessionPayload.message(message).encoded() == expected)
    }

    @Test func messageFieldsAreChecked() throws {
        let id = try MessageID(bytes: Array(0..<16))
        #expect(throws: WireError.self) {
            try AgentMessage(id: id, sequence: 0, createdAt: epoch, intent: "chat.message", body: [])
        }
        #expect(throws: WireError.self) {
            try AgentMessage(id: id, sequence: 1, createdAt: epoch, intent: "Chat", body: [])
        }
        #expect(throws: WireError.self) {
            try AgentMessage(id: id, sequence: 1, createdAt: epoch, intent: "chat.message", body: [0xFF])
        }
        #expect(throws: WireError.self) {
            try AgentMessage(
                id: id,
                sequence: 1,
                createdAt: epoch,
                intent: "chat.message",
                body: [UInt8](repeating: 0x20, count: AgentMessage.maximumBodyBytes + 1)
            )
        }
        #expect(throws: WireError.self) { try KnockBody(purpose: "hi", introducedBy: "did:web:example.com") }
        #expect(throws: WireError.self) { try KnockBody(purpose: "hi", senderRelays: Array(repeating: "r", count: 5)) }
        #expect(throws: WireError.self) {
            try KnockDecisionNotice(knockID: id, accepted: false, reason: String(repeating: "x", count: 201))
        }
        // A timestamp that does not fit in nanoseconds is refused, not trapped on.
        var encoded = SessionPayload.message(
            try AgentMessage(id: id, sequence: 1, createdAt: epoch, intent: "chat.message", body: [])
        ).encoded()
        encoded.replaceSubrange(26..<34, with: [0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
        let range = #expect(throws: WireError.self) { try SessionPayload.decode(encoded) }
        #expect(range?.code == .invalidValue)
    }

    func samplePayloads() throws -> [SessionPayload] {
        var random = SeededRandom(seed: 4)
        let id = MessageID.random(using: &random)
        let other = MessageID.random(using: &random)
        return [
            .knock(try largestKnockBody()),
            .message(
                try AgentMessage(
                    id: id,
                    sequence: 7,
                    createdAt: epoch,
                    expiresAt: epoch + .seconds(3_600),
                    inReplyTo: other,
                    intent: "x-acme.translate",
                    body: bytes(#"{"text":"héllo"}"#)
                )
            ),
            .receipt([id, other]),
            .knockDecision(
                try KnockDecisionNotice(knockID: id, accepted: true, reason: "welcome", recipientRelays: ["wss://a"])
            ),
        ]
    }
}
