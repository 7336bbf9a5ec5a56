import MeshCore
import Ratchet
import RelayFallback
import Testing

@testable import MeshPeer

@Suite struct MessageBudgetTests {
    @Test func theLargestMessageFitsEveryLayerAfterRealEncryption() throws {
        var random = SeededRandom(seed: 40)
        let alice = Agent(seed: 1)
        // A bundle with a one-time prekey makes the largest X3DH header.
        let bobIdentity = Agent(seed: 2).identity
        var bobPrekeys = PrekeySecrets(
            identity: bobIdentity,
            schedule: PrekeySchedule(oneTimePrekeyBatch: 1),
            now: .zero,
            random: &random
        )
        var aliceSide = PeerSessions(remoteIdentity: bobIdentity.publicKey)
        try aliceSide.startSession(
            identity: alice.identity,
            bundle: bobPrekeys.bundle(identity: bobIdentity),
            random: &random
        )

        let body = [UInt8](repeating: UInt8(ascii: " "), count: AgentMessage.maximumBodyBytes)
        let message = try AgentMessage(
            id: MessageID.random(using: &random),
            sequence: .max,
            createdAt: epoch,
            expiresAt: epoch + .seconds(86_400),
            inReplyTo: MessageID.random(using: &random),
            intent: "x-" + String(repeating: "v", count: 30) + "." + String(repeating: "n", count: 31),
            body: body
        )
        let payload = SessionPayload.message(message).encoded()
        #expect(payload.count == MessageBudget.messagePayloadOverhead + AgentMessage.maximumBodyBytes)
        #expect(payload.count <= MessageBudget.maximumSessionPayloadByteCount)
        #expect(payload.count <= RatchetLimits.default.maximumPlaintextByteCount)

        let ratchet = try aliceSide.encrypt(payload, random: &random)
        #expect(ratchet.initialHeader?.oneTimePrekey != nil)
        #expect(ratchet.wireBytes.count == payload.count + MessageBudget.ratchetEnvelopeOverhead)

        let envelope = MeshEnvelope.session(
            SessionFrame(
                sender: alice.key,
                messageID: try MessageID(bytes: Array(repeating: 7, count: 16)),
                ratchet: ratchet
            )
        ).encoded()
        #expect(envelope.count == ratchet.wireBytes.count + MessageBudget.meshEnvelopeSessionOverhead)
        #expect(envelope.count <= MeshEnvelope.maximumByteCount)
        #expect(envelope.count <= RelayFallbackModule.maximumEnvelopeByteCount)
        #expect(envelope.count <= RelayLimits().maximumEnvelopeBytes)

        // The relay accepts it as one envelope, and Bob reads the same message back.
        let send = RelayMessage.send(
            OutboundEnvelope(
                id: message.id.envelopeID,
                recipient: NodeID(publicKey: bobIdentity.publicKey),
                payload: envelope
            )
        )
        #expect(try RelayMessage.decode(send.encoded()) == send)
        guard case .session(let frame) = try MeshEnvelope.decode(envelope) else {
            Issue.record("not a session frame")
            return
        }
        var bobSide = PeerSessions(remoteIdentity: frame.sender)
        let plaintext = try bobSide.receive(frame.ratchet, identity: bobIdentity, prekeys: &bobPrekeys, random: &random)
        #expect(try SessionPayload.decode(plaintext) == .message(message))
    }

    @Test func theLayersAddUpToOneRelayEnvelope() {
        #expect(MessageBudget.meshEnvelopeSessionOverhead == 50)
        #expect(MessageBudget.ratchetEnvelopeOverhead == 232)
        #expect(MessageBudget.messagePayloadOverhead == 129)
        #expect(MessageBudget.maximumSessionPayloadByteCount == 1_048_576 - 50 - 232)
        #expect(
            AgentMessage.maximumBodyBytes + MessageBudget.messagePayloadOverhead
                <= MessageBudget.maximumSessionPayloadByteCount
        )
        #expect(SessionPayload.maximumByteCount == MessageBudget.maximumSessionPayloadByteCount)
    }
}
