import MeshCore

extension RelayMessage {
    /// The complete frame bytes (header and payload) for one WebSocket binary message.
    public func encoded() -> [UInt8] {
        var writer = WireWriter(capacity: 64)
        switch self {
        case .challenge(let challenge):
            writer.write(raw: challenge.relayKey.rawRepresentation)
            writer.write(raw: challenge.nonce)
        case .authenticate(let login):
            writer.write(raw: login.clientKey.rawRepresentation)
            writer.write(raw: login.signature.rawRepresentation)
        case .welcome(let welcome):
            writer.write(raw: welcome.clientID.bytes)
            writer.write(welcome.maximumEnvelopeBytes)
            writer.write(welcome.pendingCount)
        case .send(let envelope):
            writer.write(raw: envelope.id.bytes)
            writer.write(raw: envelope.recipient.bytes)
            writer.write(envelope.ttlSeconds)
            writer.writeLengthPrefixed(envelope.payload, .uint32)
        case .accepted(let id, let disposition):
            writer.write(raw: id.bytes)
            writer.write(disposition.rawValue)
        case .refused(let refusal):
            writer.write(refusal.code.rawValue)
            writer.write(refusal.envelopeID != nil)
            if let id = refusal.envelopeID { writer.write(raw: id.bytes) }
            writer.writeString(refusal.reason, .uint16)
        case .deliver(let envelope):
            writer.write(raw: envelope.id.bytes)
            writer.write(raw: envelope.sender.bytes)
            writer.write(envelope.sequence)
            writer.writeLengthPrefixed(envelope.payload, .uint32)
        case .ack(let ids):
            precondition(ids.count <= RelayMessage.maximumAckCount, "too many IDs for one ack")
            writer.writeCount(ids.count, .uint16)
            for id in ids { writer.write(raw: id.bytes) }
        case .ping(let token), .pong(let token):
            writer.write(token)
        case .acceptedBatch(let entries):
            precondition(entries.count <= RelayMessage.maximumAcceptedBatch, "too many answers for one frame")
            writer.writeCount(entries.count, .uint16)
            for entry in entries {
                writer.write(raw: entry.id.bytes)
                writer.write(entry.disposition.rawValue)
            }
        case .contacts(let nodes):
            precondition(nodes.count <= RelayMessage.maximumContactCount, "too many contacts for one frame")
            writer.writeCount(nodes.count, .uint16)
            for node in nodes { writer.write(raw: node.bytes) }
        }
        return Frame(type: frameType.rawValue, payload: writer.bytes).encoded()
    }

    /// Strict decoding of one WebSocket message: the frame header, a relay type, every length bounded, no
    /// trailing bytes. Throws `WireError`; never traps.
    public static func decode(_ bytes: [UInt8]) throws -> RelayMessage {
        let frame = try Frame.decode(bytes, maximumPayload: RelayFallbackModule.maximumFramePayload)
        guard let type = RelayFrameType(rawValue: frame.type) else {
            throw WireError(.unknownType, at: 3, "frame type 0x\(String(frame.type, radix: 16)) is not a relay frame")
        }
        var reader = WireReader(frame.payload)
        let message = try decodePayload(type, &reader)
        try reader.expectEnd()
        return message
    }

    private static func decodePayload(_ type: RelayFrameType, _ reader: inout WireReader) throws -> RelayMessage {
        switch type {
        case .challenge:
            let key = try readKey(&reader)
            return .challenge(RelayChallenge(relayKey: key, nonce: try reader.readBytes(RelayChallenge.nonceByteCount)))
        case .authenticate:
            let key = try readKey(&reader)
            let start = reader.position
            let raw = try reader.readBytes(Ed25519.signatureByteCount)
            guard let signature = try? Ed25519.Signature(rawRepresentation: raw) else {
                throw WireError(.invalidValue, at: start, "bad signature encoding")
            }
            return .authenticate(RelayAuthentication(clientKey: key, signature: signature))
        case .welcome:
            return .welcome(
                RelayWelcome(
                    clientID: try NodeID(relayWire: &reader),
                    maximumEnvelopeBytes: try reader.readUInt32(),
                    pendingCount: try reader.readUInt32()
                )
            )
        case .send:
            return .send(
                OutboundEnvelope(
                    id: try EnvelopeID(from: &reader),
                    recipient: try NodeID(relayWire: &reader),
                    ttlSeconds: try reader.readUInt32(),
                    payload: try reader.readLengthPrefixed(
                        .uint32,
                        maximum: RelayFallbackModule.maximumEnvelopeByteCount
                    )
                )
            )
        case .accepted:
            let entry = try readAccepted(&reader)
            return .accepted(entry.id, entry.disposition)
        case .acceptedBatch:
            let count = try reader.readCount(.uint16, maximum: maximumAcceptedBatch)
            var entries: [AcceptedEntry] = []
            entries.reserveCapacity(count)
            for _ in 0..<count { entries.append(try readAccepted(&reader)) }
            return .acceptedBatch(entries)
        case .refused:
            return .refused(try decodeRefusal(&reader))
        case .deliver:
            return .deliver(
                DeliveredEnvelope(
                    id: try EnvelopeID(from: &reader),
                    sender: try NodeID(relayWire: &reader),
                    sequence: try reader.readUInt64(),
                    payload: try reader.readLengthPrefixed(
                        .uint32,
                        maximum: RelayFallbackModule.maximumEnvelopeByteCount
                    )
                )
            )
        case .ack:
            let count = try reader.readCount(.uint16, maximum: maximumAckCount)
            var ids: [EnvelopeID] = []
            ids.reserveCapacity(count)
            for _ in 0..<count { ids.append(try EnvelopeID(from: &reader)) }
            return .ack(ids)
        case .ping:
            return .ping(try reader.readUInt64())
        case .pong:
            return .pong(try reader.readUInt64())
        case .contacts:
            let count = try reader.readCount(.uint16, maximum: maximumContactCount)
            var nodes: [NodeID] = []
            nodes.reserveCapacity(count)
            for _ in 0..<count { nodes.append(try NodeID(relayWire: &reader)) }
            return .contacts(nodes)
        }
    }

    private static func readAccepted(_ reader: inout WireReader) throws -> AcceptedEntry {
        let id = try EnvelopeID(from: &reader)
        let start = reader.position
        guard let disposition = Disposition(rawValue: try reader.readUInt8()) else {
            throw WireError(.invalidValue, at: start, "unknown disposition")
        }
        return AcceptedEntry(id, disposition)
    }

    private static func decodeRefusal(_ reader: inout WireReader) throws -> RelayRefusal {
        let start = reader.position
        guard let code = RelayRefusal.Code(rawValue: try reader.readUInt16()) else {
            throw WireError(.invalidValue, at: start, "unknown refusal code")
        }
        let id = try reader.readBool() ? try EnvelopeID(from: &reader) : nil
        let reason = try reader.readString(.uint16, maximum: RelayRefusal.maximumReasonBytes)
        return RelayRefusal(code, envelopeID: id, reason)
    }

    private static func readKey(_ reader: inout WireReader) throws -> Ed25519.PublicKey {
        let start = reader.position
        let raw = try reader.readBytes(Ed25519.publicKeyByteCount)
        guard let key = try? Ed25519.PublicKey(rawRepresentation: raw) else {
            throw WireError(.invalidValue, at: start, "not a valid Ed25519 public key")
        }
        return key
    }
}
