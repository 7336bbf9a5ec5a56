import MeshCore
import Ratchet

extension KnockFrame {
    func encodeWork(to writer: inout WireWriter) {
        writer.write(raw: knockID.bytes)
        writer.write(raw: sender.rawRepresentation)
        writer.write(raw: recipient.rawRepresentation)
        writer.write(raw: token.bytes)
        writer.writeMilliseconds(issuedAt)
        writer.writeString(intent, .uint8)
        sealed.encode(to: &writer)
    }

    func encodeSigned(to writer: inout WireWriter) {
        encodeWork(to: &writer)
        writer.write(proofOfWork)
    }

    func encode(to writer: inout WireWriter) {
        encodeSigned(to: &writer)
        writer.write(raw: signature.rawRepresentation)
    }

    /// Strict: a bad intent name, a sealed envelope that is not an X3DH initial message from `sender`, or one over
    /// `maximumSealedByteCount` is `invalidValue`/`oversize`.
    init(from reader: inout WireReader) throws {
        let knockID = try MessageID(from: &reader)
        let sender = try reader.readPublicKey()
        let recipient = try reader.readPublicKey()
        let token = try KnockToken(from: &reader)
        let issuedAt = try reader.readMilliseconds()
        let intentOffset = reader.position
        let intent = try reader.readString(.uint8, maximum: KnockFrame.maximumIntentByteCount)
        do {
            try Intent.validateName(intent)
        } catch {
            throw WireError(.invalidValue, at: intentOffset, error.message)
        }
        let sealedOffset = reader.position
        let sealed = try RatchetEnvelope(from: &reader)
        guard reader.position - sealedOffset <= KnockFrame.maximumSealedByteCount else {
            throw WireError(
                .oversize,
                at: sealedOffset,
                "sealed knock exceeds \(KnockFrame.maximumSealedByteCount) bytes"
            )
        }
        guard let initial = sealed.initialHeader, initial.identityKey == sender else {
            throw WireError(.invalidValue, at: sealedOffset, "a knock seals an X3DH initial message from its sender")
        }
        let proofOfWork = try reader.readUInt64()
        let signature = try reader.readSignature()
        self.init(
            knockID: knockID,
            sender: sender,
            recipient: recipient,
            token: token,
            issuedAt: issuedAt,
            intent: intent,
            proofOfWork: proofOfWork,
            sealed: sealed,
            signature: signature
        )
    }
}
